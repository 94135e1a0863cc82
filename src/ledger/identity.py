"""Identity numbers and bank card numbers: GB 11643 check digits, Luhn, masking.

The checks work on whole columns at once (numpy), because a province roster has 10^6
rows; the scalar helpers are thin wrappers for single values.
"""

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

# GB 11643-1999: weights of the first 17 digits, and the check character for sum % 11.
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK_CHARS = "10X98765432"
_CHECK_CODES = np.frombuffer(_CHECK_CHARS.encode("ascii"), dtype=np.uint8)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    digits = [int(ch) for ch in first17]
    if len(digits) != 17:
        raise ValueError("an ID number's body has 17 digits")
    return _CHECK_CHARS[sum(d * int(w) for d, w in zip(digits, _WEIGHTS, strict=True)) % 11]


def id_check_ok(numbers: Sequence[str]) -> npt.NDArray[np.bool_]:
    """For 18-character ID numbers already known to match ``\\d{17}[\\dX]``: whether
    the check character is right. Vectorised; ``numbers`` must all be ASCII, length 18."""
    if len(numbers) == 0:
        return np.zeros(0, dtype=bool)
    raw = np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    body = raw[:, :17].astype(np.int64) - ord("0")
    expected = _CHECK_CODES[(body @ _WEIGHTS) % 11]
    result: npt.NDArray[np.bool_] = expected == raw[:, 17]
    return result


def ascii_digits(
    values: Sequence[str], length: int, *, last_x: bool = False
) -> npt.NDArray[np.bool_]:
    """Which values are exactly ``length`` ASCII digits (the last may be "X" when
    ``last_x``). Vectorised: one numpy pass over the candidates of the right length."""
    out = np.zeros(len(values), dtype=bool)
    if len(values) == 0:
        return out
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    where = np.nonzero(lengths == length)[0]
    if len(where) == 0:
        return out
    candidates = np.asarray(values, dtype=object)[where]
    try:
        raw = np.frombuffer("".join(candidates).encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        # Some cell holds non-ASCII characters: check each candidate on its own.
        for index, value in zip(where, candidates, strict=True):
            body = value[:-1] if last_x and value.endswith("X") else value
            out[index] = body.isascii() and body.isdigit()
        return out
    raw = raw.reshape(-1, length)
    digit = (raw >= ord("0")) & (raw <= ord("9"))
    ok = digit[:, :-1].all(axis=1)
    last = digit[:, -1] | (raw[:, -1] == ord("X")) if last_x else digit[:, -1]
    out[where] = ok & last
    return out


def ascii_digits_between(
    values: Sequence[str], shortest: int, longest: int
) -> npt.NDArray[np.bool_]:
    """Which values are all ASCII digits with a length from ``shortest`` to ``longest``."""
    out = np.zeros(len(values), dtype=bool)
    if len(values) == 0:
        return out
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    for length in np.unique(lengths):
        if shortest <= length <= longest:
            where = np.nonzero(lengths == length)[0]
            group = [values[int(i)] for i in where]
            out[where] = ascii_digits(group, int(length))
    return out


def birth_dates(numbers: Sequence[str]) -> npt.NDArray[np.datetime64]:
    """Birth dates of well-formed 18-character ID numbers, NaT where not a real date."""
    if len(numbers) == 0:
        return np.zeros(0, dtype="datetime64[D]")
    raw = np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    d = raw[:, 6:14].astype(np.int64) - ord("0")
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    limit = month_days[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    ok &= day <= limit
    months = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1).astype("timedelta64[D]")
    result: npt.NDArray[np.datetime64] = np.where(ok, dates, np.datetime64("NaT"))
    return result


def luhn_ok(numbers: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Whether each all-digit card number passes the Luhn check. Vectorised per length."""
    out = np.zeros(len(numbers), dtype=bool)
    if len(numbers) == 0:
        return out
    lengths = np.fromiter((len(n) for n in numbers), dtype=np.int64, count=len(numbers))
    array = np.asarray(numbers, dtype=object)
    for length in np.unique(lengths):
        if length == 0:
            continue
        where = np.nonzero(lengths == length)[0]
        group = array[where]
        raw = np.frombuffer("".join(group).encode("ascii"), dtype=np.uint8)
        digits = raw.reshape(-1, int(length)).astype(np.int64) - ord("0")
        # Double every second digit from the right (the check digit is not doubled).
        doubled = digits[:, ::-1].copy()
        doubled[:, 1::2] *= 2
        doubled[doubled > 9] -= 9
        out[where] = doubled.sum(axis=1) % 10 == 0
    return out


def luhn_digit(body: str) -> str:
    """The Luhn check digit to append to ``body``."""
    total = 0
    for index, ch in enumerate(reversed(body)):
        d = int(ch)
        if index % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def birth_date(id_number: str) -> date | None:
    """The birth date written in an 18-digit ID number, None if it is not a real date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def sex_of(id_number: str) -> str:
    """ "M" or "F" from the 17th digit (odd: male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def mask(value: str | None) -> str:
    """Mask an ID or card number for display: the first 6 and last 4 characters stay."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * (len(value) - 4) + value[-4:] if len(value) > 4 else "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
