"""The one policy for numbers: money is an integer number of fen (分).

Inside the system every amount is an ``int`` of fen (BIGINT in the database, int64 in
pandas). Text becomes fen and fen text only here, at the edges, with integer arithmetic:
``parse_yuan`` is the one parser of amounts for every file format and option. Floats
are refused outright: a float cannot represent most fen amounts exactly.
"""

import re

FEN_PER_YUAN = 100

# The hard limit: a BIGINT / int64 of fen. Anything larger cannot be stored, summed or
# exported; a county's own, lower ceilings (county.toml [limits]) come on top of it.
MAX_FEN = 2**63 - 1

# The one grammar of an amount written as text: an optional sign (only where the caller
# allows it), an optional ¥, ASCII digits either without separators or grouped by three
# with commas (1,234,567), and at most two decimals after a point. Nothing else: no
# exponent, underscore, full-width digit, inner space, NaN or infinity.
_AMOUNT = re.compile(
    r"(?P<sign>[+-])?[¥￥]?"
    r"(?P<whole>[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)"
    r"(?:\.(?P<decimals>[0-9]{1,2}))?"
)


def parse_yuan(text: str, *, signed: bool = False) -> int:
    """Parse a yuan amount written as text ("1234.5", "1,234.50", "¥800") into fen.

    ``signed``: whether a sign (``-3.07``, ``+3``) is allowed; amounts in files and
    options are not negative unless the format says so. Raises ``ValueError`` saying
    what is wrong for anything else (see ``_AMOUNT``), and for an amount beyond the
    int64 range of fen (``MAX_FEN``), naming the value.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_yuan takes text, got {type(text).__name__}")
    cleaned = text.strip()
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise ValueError(_why_not_an_amount(text, cleaned))
    if match["sign"] and not signed:
        what = "a negative amount" if match["sign"] == "-" else "a sign"
        raise ValueError(f"{text!r}: {what} is not accepted here")
    whole = match["whole"].replace(",", "").lstrip("0") or "0"
    if len(whole) > 17:  # 10^17 yuan is beyond int64 fen; int() of a long text is slow
        raise ValueError(_too_large(text))
    fen = int(whole) * FEN_PER_YUAN + int((match["decimals"] or "0").ljust(2, "0"))
    if fen > MAX_FEN:
        raise ValueError(_too_large(text))
    return -fen if match["sign"] == "-" else fen


def _too_large(text: str) -> str:
    return (
        f"{text.strip()!r} is too large: the ledger holds at most "
        f"{format_yuan(MAX_FEN, thousands=True)} yuan in one amount"
    )


def _why_not_an_amount(text: str, cleaned: str) -> str:
    """The reason ``cleaned`` does not follow the grammar, in the user's terms."""
    shown = repr(text)
    if not cleaned:
        return "the amount is empty"
    if any(ch.isdigit() and not ch.isascii() for ch in cleaned):
        return f"{shown}: full-width or other non-ASCII digits; write ASCII digits (700.00)"
    if cleaned.lower().lstrip("+-") in ("nan", "snan", "inf", "infinity"):
        return f"{shown} is not a number"
    if re.search(r"[0-9.][eE][+-]?[0-9]", cleaned):
        return f"{shown}: exponent notation is not accepted; write the digits (1000000.00)"
    if "_" in cleaned:
        return f"{shown}: underscores are not accepted in amounts"
    if re.search(r"\s", cleaned):
        return f"{shown}: spaces inside the amount are not accepted"
    if re.fullmatch(r"[+-]?[¥￥]?[0-9,]*[0-9](?:\.[0-9]{3,})", cleaned):
        return f"{shown} has more than 2 decimals"
    if re.search(r"(?:^|[^0-9])\.|\.$", cleaned):
        return f"{shown}: write digits on both sides of the decimal point (0.50, 12.00)"
    if "," in cleaned or "，" in cleaned:
        return (
            f"{shown}: commas may only separate groups of three digits (1,234,567.89); "
            "the decimal separator is a point (2000.50)"
        )
    return f"{shown} is not a yuan amount like 1234.56"


def format_yuan(fen: int, *, thousands: bool = False) -> str:
    """Format fen as yuan text with exactly two decimals: 123456 -> "1234.56"."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amounts are int fen, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    whole = f"{yuan:,}" if thousands else str(yuan)
    return f"{sign}{whole}.{cents:02d}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def _four_digits(n: int) -> str:
    """Capital numerals for 0 < n < 10000, with internal zeros collapsed."""
    out: list[str] = []
    zero_pending = False
    for position in range(3, -1, -1):
        digit = (n // 10**position) % 10
        if digit == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[position])
    return "".join(out)


def chinese_capital(fen: int) -> str:
    """The amount in Chinese capital numerals (大写) as written on Chinese financial forms.

    1234567 fen -> "壹万贰仟叁佰肆拾伍元陆角柒分". An amount that ends at 元 or 角 ends
    with "整", as the rules for filling in settlement vouchers require after 元 and allow
    after 角.
    """
    if fen < 0:
        return "负" + chinese_capital(-fen)
    yuan, rest = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(rest, 10)
    parts: list[str] = []
    if yuan:
        groups = []
        while yuan:
            groups.append(yuan % 10000)
            yuan //= 10000
        text = ""
        need_zero = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or group < 1000):
                text += "零"
            text += _four_digits(group) + _BIG_UNITS[index]
            need_zero = False
        parts.append(text + "元")
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif fen_digit and parts:
        parts.append("零")
    if fen_digit:
        parts.append(_DIGITS[fen_digit] + "分")
    if not parts:
        return "零元整"
    if not fen_digit:
        parts.append("整")
    return "".join(parts)
