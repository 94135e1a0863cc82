"""The one policy for numbers: money is an integer number of fen (分).

Inside the system every amount is an ``int`` of fen (BIGINT in the database, int64 in
pandas). ``Decimal`` appears only here, at the edges, when text is read or written.
Floats are refused outright: a float cannot represent most fen amounts exactly.
"""

from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100


def parse_yuan(text: str) -> int:
    """Parse a yuan amount written as text ("1234.5", "1,234.50", "-3") into fen.

    Raises ``ValueError`` for anything that is not an exact fen amount (more than two
    decimals, not a number, infinities).
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_yuan takes text, got {type(text).__name__}")
    cleaned = text.strip().replace(",", "").replace("，", "")
    if cleaned.startswith("¥") or cleaned.startswith("￥"):
        cleaned = cleaned[1:]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"not an exact fen amount (more than 2 decimals): {text!r}")
    return int(fen)


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
