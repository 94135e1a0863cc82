"""The keyed hashes the fuzzy linkage rests on: legacy IDs, one digit apart, not two."""

from hypothesis import given
from hypothesis import strategies as st

from ledger.identity import id_check_char
from ledger.province.schema import NEAR_POSITIONS, Hasher, id18

HASHER = Hasher("a test key of sixteen+")


def _valid(body: str) -> str:
    return body + id_check_char(body)


def test_a_legacy_15_digit_id_links_to_its_18_digit_form() -> None:
    legacy = "130123850315123"
    assert id18(legacy) == _valid("13012319850315123")
    assert HASHER.ids([legacy]) == HASHER.ids([id18(legacy)])


bodies = st.from_regex(
    r"1301[0-9]{2}19[5-9][0-9](0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True
)


@given(bodies, st.sampled_from(NEAR_POSITIONS), st.integers(1, 9))
def test_one_digit_apart_shares_exactly_one_near_hash(body: str, position: int, step: int) -> None:
    other = body[:position] + str((int(body[position]) + step) % 10) + body[position + 1 :]
    a, b = HASHER.near([_valid(body), _valid(other)])
    assert len(set(a) & set(b)) == 1
    assert HASHER.ids([_valid(body)]) != HASHER.ids([_valid(other)])


@given(bodies, st.integers(1, 9), st.integers(1, 9))
def test_two_digits_apart_share_none(body: str, step_a: int, step_b: int) -> None:
    p, q = 0, 16
    other = list(body)
    other[p] = str((int(body[p]) + step_a) % 10)
    other[q] = str((int(body[q]) + step_b) % 10)
    a, b = HASHER.near([_valid(body), _valid("".join(other))])
    assert not set(a) & set(b)


def test_names_are_compared_in_nfkc_without_spaces() -> None:
    assert HASHER.names(["王 伟"]) == HASHER.names(["王伟"])
    assert HASHER.names(["ＡＢ"]) == HASHER.names(["AB"])
