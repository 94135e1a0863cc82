"""Exact amounts: text to int fen, one value (XML) or a whole column (text files).

Never float. A column is validated with a regular expression and converted by splitting
on the decimal point and reading each part as an integer, so 10^6 amounts convert
without 10^6 Decimal objects and without rounding.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pandas as pd

# Up to 15 digits of yuan (10^13 yuan fits int64 fen with room to spare). ASCII digits
# only: ``\d`` would also match full-width digits (７００), which int() reads as 700.
YUAN_PATTERN = r"[0-9]{1,15}(?:\.[0-9]{1,2})?"
FEN_PATTERN = r"0*[0-9]{1,17}"  # fixed-width files zero-pad
_YUAN_RE = re.compile(YUAN_PATTERN)

Unit = Literal["yuan", "fen"]


# An ISO 20022 amount (xs:decimal, at most 5 decimals, never negative): "650", "650.00",
# "5.0100", "+1.5", ".50". An exponent ("1E2") is not xs:decimal.
_ISO_RE = re.compile(r"\+?([0-9]*)(?:\.([0-9]*))?")
ISO_DECIMALS = 5


def fen_from_text(text: str, *, signed: bool = False) -> int:
    """One ISO amount in yuan ("650.00", "5.0100") as fen; ``ValueError`` names what is
    wrong. More than two decimals are accepted when they are exact in fen ("8.850"), and
    refused when not ("8.855"). ``signed``: a leading "-" is allowed (control sums)."""
    cleaned = text.strip()
    negative = signed and cleaned.startswith("-")
    body = cleaned[1:] if negative else cleaned
    found = _ISO_RE.fullmatch(body)
    if found is None or not (found.group(1) or found.group(2)):
        if re.search(r"\d[eE][+-]?\d", cleaned):
            raise ValueError(
                f"amount {text!r} is written with an exponent: an ISO 20022 amount is a "
                "plain decimal like 1234.56"
            )
        if cleaned.startswith("-"):
            raise ValueError(f"amount {text!r} is negative")
        raise ValueError(f"amount {text!r} is not a number of yuan like 1234.56")
    whole, decimals = found.group(1) or "0", found.group(2) or ""
    if len(decimals) > ISO_DECIMALS:
        raise ValueError(
            f"amount {text!r} has {len(decimals)} decimals (ISO 20022 allows {ISO_DECIMALS})"
        )
    if decimals[2:].strip("0"):
        raise ValueError(f"amount {text!r} is not a whole number of fen (more than 2 decimals)")
    if len(whole.lstrip("0")) > 15:
        raise ValueError(f"amount {text!r} is too large")
    fen = int(whole) * 100 + int((decimals[:2] or "0").ljust(2, "0"))
    return -fen if negative else fen


def bad_amounts(column: pd.Series, unit: Unit) -> np.ndarray:
    """Positions (0-based) of values that are not exact amounts in ``unit``."""
    pattern = YUAN_PATTERN if unit == "yuan" else FEN_PATTERN
    ok = column.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    return np.flatnonzero(~ok)


def why_bad(value: object, unit: Unit) -> str:
    """A reason for a value ``bad_amounts`` flagged."""
    text = "" if value is None or value is pd.NA else str(value)
    if not text.strip():
        return "amount is empty"
    if unit == "yuan" and re.fullmatch(r"\s*\d+\.\d{3,}\s*", text):
        return f"amount {text!r} has more than 2 decimals"
    if unit == "yuan":
        return f"amount {text!r} is not a number of yuan like 1234.56"
    return f"amount {text!r} is not a whole number of fen"


def column_to_fen(column: pd.Series, unit: Unit) -> np.ndarray:
    """Validated amount text (see ``bad_amounts``) to an int64 array of fen."""
    if unit == "fen":
        return column.astype("int64").to_numpy(dtype=np.int64)
    # Drop the point and scale by the decimals it had: "650.5" -> 6505 * 10 -> 65050.
    dot = column.str.find(".").to_numpy(dtype=np.int64)
    length = column.str.len().to_numpy(dtype=np.int64)
    decimals = np.where(dot < 0, 0, length - dot - 1)
    digits = column.str.replace(".", "", regex=False).astype("int64").to_numpy(dtype=np.int64)
    return digits * np.power(10, 2 - decimals, dtype=np.int64)
