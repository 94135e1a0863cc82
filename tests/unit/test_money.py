import pytest

from ledger.money import chinese_capital, format_yuan, parse_yuan


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0", 0),
        ("1", 100),
        ("1234.5", 123450),
        ("1,234.56", 123456),
        (" 800.00 ", 80000),
        ("-3.07", -307),
        ("￥12.30", 1230),
        ("0.01", 1),
    ],
)
def test_yuan_text_parses_to_exact_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1e3x", "NaN", "Infinity", "12.3.4"])
def test_text_that_is_not_an_exact_fen_amount_is_refused(text):
    with pytest.raises(ValueError):
        parse_yuan(text)


def test_parsing_refuses_a_float():
    with pytest.raises(TypeError):
        parse_yuan(12.3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (1, "0.01"), (123456, "1234.56"), (-307, "-3.07")]
)
def test_fen_formats_as_yuan_with_two_decimals(fen, text):
    assert format_yuan(fen) == text


def test_formatting_with_thousands_separators():
    assert format_yuan(123456789, thousands=True) == "1,234,567.89"


def test_formatting_refuses_anything_but_int_fen():
    with pytest.raises(TypeError):
        format_yuan(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "capital"),
    [
        (0, "零元整"),
        (100, "壹元整"),
        (1000000, "壹万元整"),
        (1234567, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (100005, "壹仟元零伍分"),
        (10001000, "壹拾万零壹拾元整"),
        (100000000000, "壹拾亿元整"),
        (10000010000, "壹亿零壹佰元整"),
        (120000, "壹仟贰佰元整"),
        (50, "伍角整"),
        (1050, "壹拾元伍角整"),
    ],
)
def test_amounts_in_chinese_capital_numerals(fen, capital):
    assert chinese_capital(fen) == capital
