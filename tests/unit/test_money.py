import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ledger.money import MAX_FEN, chinese_capital, format_yuan, parse_yuan


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0", 0),
        ("1", 100),
        ("1234.5", 123450),
        ("1,234.56", 123456),
        (" 800.00 ", 80000),
        ("￥12.30", 1230),
        ("¥1,234,567.89", 123456789),
        ("0.01", 1),
        ("92233720368547758.07", MAX_FEN),
    ],
)
def test_yuan_text_parses_to_exact_fen(text, fen):
    assert parse_yuan(text) == fen


def test_a_sign_is_accepted_only_where_the_caller_allows_it():
    assert parse_yuan("-3.07", signed=True) == -307
    assert parse_yuan("+3", signed=True) == 300
    for text in ("-3.07", "+3", "-0"):
        with pytest.raises(ValueError, match="not accepted here"):
            parse_yuan(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("abc", "not a yuan amount"),
        ("1.234", "more than 2 decimals"),
        ("1.500", "more than 2 decimals"),
        ("1e3x", "exponent"),
        ("1e6", "exponent"),
        ("9e18", "exponent"),
        ("1E+06", "exponent"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("-inf", "not a number"),
        ("12.3.4", "not a yuan amount"),
        ("2000,50", "groups of three"),
        ("1,0,0", "groups of three"),
        ("1,2345.00", "groups of three"),
        ("12,34,567", "groups of three"),
        ("0,123", "groups of three"),
        ("1，234", "groups of three"),
        ("1_000", "underscore"),
        ("７００.００", "full-width"),
        ("7００", "full-width"),
        ("1 000.00", "spaces inside"),
        ("1\u00a0000", "spaces inside"),
        (".5", "both sides"),
        ("5.", "both sides"),
        ("92233720368547758.08", "too large"),
        ("100000000000000000000", "too large"),
        ("9" * 5000, "too large"),
        ("0x10", "not a yuan amount"),
    ],
)
def test_text_that_is_not_an_exact_fen_amount_is_refused_saying_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_yuan(text)


def test_the_value_is_named_when_it_is_too_large():
    with pytest.raises(ValueError, match=r"'92233720368547758\.08' is too large"):
        parse_yuan("92233720368547758.08")


amounts_fen = st.integers(min_value=-MAX_FEN, max_value=MAX_FEN)


@given(amounts_fen, st.booleans())
@example(MAX_FEN, True)
@example(-MAX_FEN, False)
@example(0, True)
def test_every_formatted_amount_parses_back_to_itself(fen, thousands):
    assert parse_yuan(format_yuan(fen, thousands=thousands), signed=True) == fen
    if fen >= 0:
        assert parse_yuan(format_yuan(fen, thousands=thousands)) == fen


@given(
    st.integers(min_value=0, max_value=MAX_FEN),
    st.booleans(),
    st.sampled_from(["", "¥", "￥"]),
    st.sampled_from(["", " ", "\t", "\u3000"]),
)
def test_the_written_variants_of_an_amount_all_parse_to_it(fen, thousands, currency, blank):
    text = format_yuan(fen, thousands=thousands)
    shorter = text.rstrip("0").rstrip(".") if text.endswith("0") else text
    for variant in (text, shorter):
        assert parse_yuan(f"{blank}{currency}{variant}{blank}") == fen


def _reference(text: str, signed: bool) -> int | None:
    """An independent statement of the grammar (string methods, no regular
    expression): the fen ``text`` denotes, or None where it must be refused."""
    body = text.strip()
    sign = 1
    if body[:1] in ("+", "-"):
        if not signed:
            return None
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if body[:1] in ("¥", "￥"):
        body = body[1:]
    whole, point, decimals = body.partition(".")
    ascii_digits = set("0123456789")
    if point and not (1 <= len(decimals) <= 2 and set(decimals) <= ascii_digits):
        return None
    groups = whole.split(",")
    if not groups[0] or not set("".join(groups)) <= ascii_digits:
        return None
    if len(groups) > 1 and (
        len(groups[0]) > 3 or groups[0][0] == "0" or any(len(g) != 3 for g in groups[1:])
    ):
        return None
    fen = int("".join(groups)) * 100 + int(decimals.ljust(2, "0"))
    return sign * fen if fen <= MAX_FEN else None


texts = st.text(alphabet="0123456789,.-+¥ e_１\u3000", max_size=24) | st.builds(
    "".join, st.lists(st.sampled_from(["1", "23", "456", ",", ",000", ".", ".5", "-", "e"]))
)


@given(texts, st.booleans())
@example("1,234,567.89", False)
@example("2000,50", False)
@example("92233720368547758.08", False)
def test_exactly_the_texts_of_the_grammar_are_accepted(text, signed):
    expected = _reference(text, signed)
    if expected is None:
        with pytest.raises(ValueError):
            parse_yuan(text, signed=signed)
    else:
        assert parse_yuan(text, signed=signed) == expected


@st.composite
def malformed(draw: st.DrawFn) -> str:
    """A valid amount with one defect of a kind users and attackers type."""
    text = format_yuan(
        draw(st.integers(min_value=0, max_value=10**12)), thousands=draw(st.booleans())
    )
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    at = draw(st.sampled_from(digits))
    kind = draw(
        st.sampled_from(
            ["exponent", "underscore", "full-width", "space", "comma", "decimals", "word"]
        )
    )
    if kind == "exponent":
        return text + draw(st.sampled_from(["e", "E", "e+", "e-"])) + str(draw(st.integers(0, 30)))
    if kind == "underscore":
        return text[:at] + "_" + text[at:] if at else text + "_0"
    if kind == "full-width":
        return text[:at] + chr(ord(text[at]) + 0xFF10 - 0x30) + text[at + 1 :]
    if kind == "space":
        return (
            text[:at] + draw(st.sampled_from([" ", "\u00a0", "\u3000", "\t"])) + text[at:]
            if at
            else "1 " + text
        )
    if kind == "comma":
        whole = text.split(".")[0].replace(",", "")
        cut = draw(st.integers(1, max(1, len(whole) - 1)))
        if (len(whole) - cut) % 3 == 0 or len(whole) == 1:
            return whole + ",5." + text.split(".")[1]
        return whole[:cut] + "," + whole[cut:] + "." + text.split(".")[1]
    if kind == "decimals":
        return text + str(draw(st.integers(0, 9)))
    return draw(st.sampled_from(["NaN", "nan", "inf", "-Infinity", "sNaN", "0x1F"]))


@given(malformed())
def test_every_malformed_amount_is_refused(text):
    with pytest.raises(ValueError):
        parse_yuan(text)
    with pytest.raises(ValueError):
        parse_yuan(text, signed=True)


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
