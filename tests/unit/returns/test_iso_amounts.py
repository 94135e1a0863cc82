"""ISO 20022 amounts (xs:decimal, up to five decimals) to fen: exact or refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.files.returns.amounts import fen_from_text

FEN = st.integers(min_value=0, max_value=10**17 - 1)  # up to 15 digits of yuan


def yuan_text(fen: int, decimals: int) -> str:
    """``fen`` written with ``decimals`` (2 to 5) decimals, the extra ones zeros."""
    return f"{fen // 100}.{fen % 100:02d}" + "0" * (decimals - 2)


@given(FEN, st.integers(min_value=2, max_value=5), st.booleans())
def test_every_exact_amount_reads_back_to_its_fen(fen: int, decimals: int, plus: bool) -> None:
    text = ("+" if plus else "") + yuan_text(fen, decimals)
    assert fen_from_text(text) == fen
    assert fen_from_text(f"  {text}\n") == fen


@given(FEN)
def test_whole_yuan_and_one_decimal_read_exactly(fen: int) -> None:
    yuan = fen // 100
    assert fen_from_text(str(yuan)) == yuan * 100
    assert fen_from_text(f"{yuan}.{fen % 100 // 10}") == yuan * 100 + fen % 100 // 10 * 10


@given(FEN, st.integers(min_value=1, max_value=999), st.integers(min_value=3, max_value=5))
def test_a_fraction_of_a_fen_is_refused(fen: int, extra: int, decimals: int) -> None:
    digits = str(extra).rjust(decimals - 2, "0")[-(decimals - 2) :]
    if not digits.strip("0"):
        return
    text = f"{fen // 100}.{fen % 100:02d}{digits}"
    with pytest.raises(ValueError, match="not a whole number of fen"):
        fen_from_text(text)


@given(FEN, st.integers(min_value=6, max_value=12))
def test_more_than_five_decimals_are_refused_even_when_zero(fen: int, decimals: int) -> None:
    with pytest.raises(ValueError, match=f"has {decimals} decimals"):
        fen_from_text(yuan_text(fen, 2) + "0" * (decimals - 2))


@given(
    st.text(
        alphabet=st.sampled_from("0123456789.,-+eE _\u3000\uff10\uff11abc"),
        min_size=1,
        max_size=12,
    )
)
def test_anything_but_a_plain_decimal_is_refused(text: str) -> None:
    body = text.strip()
    plain = body.lstrip("+")
    is_plain = (
        body.count("+") <= 1
        and (not body.startswith("+") or body.count("+") == 1)
        and "+" not in plain
        and plain.count(".") <= 1
        and plain.replace(".", "").isascii()
        and plain.replace(".", "").isdigit()
    )
    if is_plain:
        return  # covered by the properties above
    with pytest.raises(ValueError):
        fen_from_text(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e3", "written with an exponent"),
        ("5.01E2", "written with an exponent"),
        ("-5.00", "is negative"),
        ("1,000.00", "is not a number of yuan"),
        ("NaN", "is not a number of yuan"),
        ("Infinity", "is not a number of yuan"),
        ("\uff17\uff10\uff10.00", "is not a number of yuan"),
        ("1234567890123456.00", "is too large"),
        (".", "is not a number of yuan"),
    ],
)
def test_malformed_amounts_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        fen_from_text(text)


@given(FEN)
def test_control_sums_may_be_negative(fen: int) -> None:
    assert fen_from_text("-" + yuan_text(fen, 3), signed=True) == -fen
