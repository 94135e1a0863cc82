"""The screening's check of names the bank file cannot encode (hold reason
name_unencodable): the shortcut over distinct characters finds exactly the names, and
exactly the characters, that encoding each name character by character finds."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.db.screening_store import unencodable_names

# Common and rare hanzi (CJK Ext A/B, outside GBK), Latin, middle dot, surrogates.
ALPHABET = st.sampled_from("王李张伟芳秀英䶮𠮷㐀·ÀaZ 々〇\ud800")
NAMES = st.lists(st.text(ALPHABET, min_size=1, max_size=6), max_size=30, unique=True)


def one_by_one(names: list[str], encoding: str) -> list[tuple[str, str]]:
    out = []
    for name in names:
        bad = []
        for ch in name:
            try:
                ch.encode(encoding)
            except UnicodeEncodeError:
                bad.append(ch)
        if bad:
            out.append((name, "".join(dict.fromkeys(bad))))
    return out


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "gb2312"])
@given(names=NAMES)
def test_same_names_and_characters_as_one_by_one(encoding: str, names: list[str]) -> None:
    assert unencodable_names(names, encoding) == one_by_one(names, encoding)


def test_rare_characters_outside_gbk_are_named() -> None:
    assert unencodable_names(["王伟", "吉𠮷", "李䶮𠮷"], "gbk") == [
        ("吉𠮷", "𠮷"),
        ("李䶮𠮷", "䶮𠮷"),
    ]
    assert unencodable_names(["王伟", "吉𠮷"], "gb18030") == []
