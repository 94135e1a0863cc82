"""A file's own control totals (counts and sums) against its lines.

A control total that contradicts the lines, or that cannot be read at all (an unusual
sign, an exponent, a foreign currency), is an ``Anomaly`` of the file, never a reason to
refuse it: the lines are what the bank said about each payment, and they stay usable.
Sums are compared by magnitude: banks write the total of debit entries as ``-509.12``
as often as ``509.12``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from ledger.files.returns.amounts import fen_from_text
from ledger.files.returns.model import Anomaly, AnomalyKind
from ledger.files.returns.xml_support import CURRENCY, Reader, text


def stated_sum(element: etree._Element, path: str) -> int | str | None:
    """The control sum at ``path`` in fen (signed), a reason if it cannot be read, or
    None when the file states none."""
    found = element.find(path)
    if found is None or not (found.text or "").strip():
        return None
    currency = found.get("Ccy")
    if currency is not None and currency != CURRENCY:
        return f"{path} is in {currency}, not {CURRENCY}"
    try:
        return fen_from_text(found.text or "", signed=True)
    except ValueError as error:
        return f"{path}: {error}"


def check_sum(
    path: Path,
    reader: Reader,
    element: etree._Element,
    tag: str,
    amounts: Sequence[int | None],
    what: str,
) -> list[Anomaly]:
    """``tag`` under ``element`` against the sum of ``amounts`` (not compared when one of
    them is unknown: that line has its own anomaly)."""
    stated = stated_sum(element, tag)
    if stated is None:
        return []
    where = reader.where(element)
    if isinstance(stated, str):
        return [
            Anomaly(
                path.name,
                element.sourceline,
                AnomalyKind.CONTROL_SUM,
                f"the control sum cannot be read ({stated})",
                where,
            )
        ]
    if any(a is None for a in amounts):
        return []
    total = sum(a for a in amounts if a is not None)
    if abs(stated) == total:
        return []
    return [
        Anomaly(
            path.name,
            element.sourceline,
            AnomalyKind.CONTROL_SUM,
            f"{tag} says {stated} fen, {what} sum to {total} fen ({total - abs(stated):+d})",
            where,
        )
    ]


def check_count(
    path: Path, reader: Reader, element: etree._Element, tag: str, count: int, what: str
) -> list[Anomaly]:
    """The number stated at ``tag`` against ``count``."""
    stated = text(element, tag)
    if stated is None or stated == str(count):
        return []
    return [
        Anomaly(
            path.name,
            element.sourceline,
            AnomalyKind.CONTROL_COUNT,
            f"{tag} says {stated}, {what}: {count}",
            reader.where(element),
        )
    ]
