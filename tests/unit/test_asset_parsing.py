"""Text that becomes an area or a business identity: property tests of the parsers the
asset lists use (areas in square decimetres, unified social credit codes)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.refdata_assets import uscc_check_char, uscc_ok
from ledger.screening_limits import format_area, parse_area

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(st.integers(min_value=0, max_value=10**11 - 1))
def test_an_area_written_with_two_decimals_reads_back_exactly(dm2: int) -> None:
    assert parse_area(format_area(dm2)) == dm2


@given(st.integers(min_value=0, max_value=10**9 - 1), st.integers(0, 9))
def test_one_decimal_is_tenths_of_a_square_metre(whole: int, tenth: int) -> None:
    assert parse_area(f"{whole}.{tenth}") == whole * 100 + tenth * 10


@pytest.mark.parametrize("text", ["", "86.505", "-1", "1e3", "８６", "86,5", "86.", ".5", "nan"])
def test_anything_else_is_not_an_area(text: str) -> None:
    with pytest.raises(ValueError, match="not an area"):
        parse_area(text)


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_a_credit_code_with_its_check_character_is_valid(body: str) -> None:
    assert uscc_ok(body + uscc_check_char(body))


@given(
    st.text(alphabet=ALPHABET, min_size=17, max_size=17),
    st.integers(0, 16),
    st.sampled_from(ALPHABET),
)
def test_changing_one_character_of_a_credit_code_is_caught(
    body: str, position: int, replacement: str
) -> None:
    code = body + uscc_check_char(body)
    changed = code[:position] + replacement + code[position + 1 :]
    assert uscc_ok(changed) == (changed == code)
