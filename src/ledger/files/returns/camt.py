"""camt.053 (statement), camt.054 (notification) and camt.052 (report) entries.

Each ``Ntry`` with ``TxDtls`` gives one line per ``TxDtls`` (a batch-booked entry has
many); an entry with no details gives one line for the entry itself. The status of a
line is decided by these tests, in this order (the first that applies wins):

| # | the line                                              | ReturnStatus | is_return |
|---|-------------------------------------------------------|--------------|-----------|
| 1 | entry not booked (Sts PDNG, INFO, FUTR, anything else) | PENDING      | as 2      |
| 2 | return evidence: TxDtls/RtrInf, or bank transaction    | FAILED       | yes       |
|   | code sub-family RRTN (entry or TxDtls), whatever       |              |           |
|   | RvslInd says                                          |              |           |
| 3 | RvslInd true (``true`` or ``1``: xs:boolean)           | PENDING      | no        |
| 4 | debit (TxDtls/CdtDbtInd where present, else the entry's) | SETTLED    | no        |
| 5 | anything else (a credit that is not a return)          | PENDING      | no        |

Why this order: only a booked entry is final (1). A booked entry that carries return
information says the money came back, and a reversal flag on it says the same thing in
another way, so return evidence is tested before the reversal flag (2): reading it as
pending would leave the recipient unpaid for ever. A reversal without return evidence
undoes a booking whose meaning we cannot tell, so it is never a settlement (3). Only
then does a booked debit settle (4). A CRDT entry that is not a return (money
arriving) is not a payment outcome: kept PENDING, so phase B reports it unmatched.

Amounts: ``TxDtls/Amt`` (.03 and later), else ``TxDtls/AmtDtls/TxAmt/Amt`` or
``AmtDtls/InstdAmt/Amt`` (.02 puts it only there), else, for an entry with one or no
TxDtls, the entry's ``Amt``. A line with no amount at all is kept (its amount unknown)
with an ``entry_details`` anomaly. Control totals checked (anomalies, see
``controls``): ``TxsSummry/TtlNtries``, ``TtlCdtNtries``, ``TtlDbtNtries``, a batch
entry's ``Btch/NbOfTxs``, and an entry's amount against its TxDtls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from ledger.files.returns.controls import check_count, check_sum
from ledger.files.returns.frame import LINE_KEYS, build_frame
from ledger.files.returns.model import Anomaly, AnomalyKind, ReturnStatus
from ledger.files.returns.xml_support import Reader, account_id, first_text, party_name, text

CONTAINERS = ("Stmt", "Ntfctn", "Rpt")
_KEYS = (
    *LINE_KEYS,
    "booking_date",
    "value_date",
    "credit_debit",
    "is_return",
)
# Where each version puts a transaction's amount, in the order they are tried.
DETAIL_AMOUNTS = ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt")
_TRUE = frozenset({"true", "1"})  # xs:boolean


def _entry_status(entry: etree._Element) -> str | None:
    return first_text(entry, "Sts/Cd", "Sts/Prtry", "Sts")


def _is_return(entry: etree._Element, details: etree._Element | None) -> bool:
    if details is not None and details.find("RtrInf") is not None:
        return True
    for source in (details, entry):
        if source is not None and text(source, "BkTxCd/Domn/Fmly/SubFmlyCd") == "RRTN":
            return True
    return False


def line_status(code: str | None, returned: bool, reversal: bool, direction: str | None) -> str:
    """The table of the module docstring, test by test."""
    if code != "BOOK":
        return ReturnStatus.PENDING.value
    if returned:
        return ReturnStatus.FAILED.value
    if reversal:
        return ReturnStatus.PENDING.value
    if direction == "DBIT":
        return ReturnStatus.SETTLED.value
    return ReturnStatus.PENDING.value


def parse(
    path: Path, reader: Reader, message: etree._Element
) -> tuple[pd.DataFrame, list[Anomaly]]:
    rows: dict[str, list[Any]] = {k: [] for k in _KEYS}
    anomalies: list[Anomaly] = []
    for container in (c for tag in CONTAINERS for c in message.findall(tag)):
        entry_amounts: list[tuple[str | None, int | None]] = []
        for entry in container.findall("Ntry"):
            amount = reader.amount(entry, "Amt", required=False)
            entry_amounts.append((text(entry, "CdtDbtInd"), amount))
            anomalies += _entry(path, reader, entry, amount, rows)
        anomalies += _check_summary(path, reader, container, entry_amounts)
    reader.problems.raise_if_any()
    columns: dict[str, Any] = dict(rows)
    columns["amount_fen"] = pd.array(rows["amount_fen"], dtype="Int64")
    return build_frame(path.name, columns, len(rows["line"])), anomalies


def _detail_amount(reader: Reader, item: etree._Element) -> int | None:
    for where in DETAIL_AMOUNTS:
        if item.find(where) is not None:
            return reader.amount(item, where, required=False)
    return None


def _entry(
    path: Path,
    reader: Reader,
    entry: etree._Element,
    amount: int | None,
    rows: dict[str, list[Any]],
) -> list[Anomaly]:
    code = _entry_status(entry)
    reversal = (text(entry, "RvslInd") or "").lower() in _TRUE
    booking = reader.date(entry, "BookgDt")
    value = reader.date(entry, "ValDt")
    details = entry.findall("NtryDtls/TxDtls")
    anomalies: list[Anomaly] = []
    detail_amounts: list[int | None] = []
    for item in details or [None]:
        source = item if item is not None else entry
        line_amount = _detail_amount(reader, item) if item is not None else None
        if line_amount is None and len(details) <= 1:
            line_amount = amount
        if line_amount is None:
            anomalies.append(
                Anomaly(
                    path.name,
                    source.sourceline,
                    AnomalyKind.ENTRY_DETAILS,
                    f"no amount for this transaction ({', '.join(DETAIL_AMOUNTS)}) in an "
                    f"entry of {len(details)}: its amount is unknown and the entry's total "
                    "cannot be checked",
                    reader.where(source),
                )
            )
        detail_amounts.append(line_amount)
        direction = (text(item, "CdtDbtInd") if item is not None else None) or text(
            entry, "CdtDbtInd"
        )
        returned = _is_return(entry, item)
        status = line_status(code, returned, reversal, direction)
        reason_code = None
        if item is not None:
            reason_code = text(item, "RtrInf/Rsn/Cd") or text(item, "RtrInf/Rsn/Prtry")
        if status == ReturnStatus.FAILED.value and reason_code is None:
            reason_code = "NARR"
        notes = " ".join(n.text.strip() for n in source.findall("RtrInf/AddtlInf") if n.text)
        parties = item.find("RltdPties") if item is not None else None
        rows["line"].append(source.sourceline)
        rows["element"].append(reader.where(source))
        rows["end_to_end_id"].append(text(item, "Refs/EndToEndId") if item is not None else None)
        rows["original_msg_id"].append(text(item, "Refs/MsgId") if item is not None else None)
        rows["original_pmt_inf_id"].append(
            text(item, "Refs/PmtInfId") if item is not None else None
        )
        rows["account"].append(
            account_id(parties.find("CdtrAcct")) if parties is not None else None
        )
        rows["holder_name"].append(
            party_name(parties.find("Cdtr")) if parties is not None else None
        )
        rows["amount_fen"].append(line_amount)
        rows["status"].append(status)
        rows["reason_code"].append(reason_code)
        rows["reason_text"].append(notes or ("reversal" if reversal else None))
        rows["booking_date"].append(booking)
        rows["value_date"].append(value)
        rows["credit_debit"].append(direction)
        rows["is_return"].append(returned)
    if details:
        anomalies += _check_batch(path, reader, entry, amount, detail_amounts)
    return anomalies


def _check_batch(
    path: Path,
    reader: Reader,
    entry: etree._Element,
    amount: int | None,
    detail_amounts: list[int | None],
) -> list[Anomaly]:
    out: list[Anomaly] = []
    known = [a for a in detail_amounts if a is not None]
    if amount is not None and len(known) == len(detail_amounts) and sum(known) != amount:
        out.append(
            Anomaly(
                path.name,
                entry.sourceline,
                AnomalyKind.ENTRY_DETAILS,
                f"entry amount {amount} fen, its {len(known)} TxDtls sum to {sum(known)} fen",
                reader.where(entry),
            )
        )
    out += check_count(
        path, reader, entry, "NtryDtls/Btch/NbOfTxs", len(detail_amounts), "TxDtls in the entry"
    )
    return out


def _check_summary(
    path: Path,
    reader: Reader,
    container: etree._Element,
    entries: list[tuple[str | None, int | None]],
) -> list[Anomaly]:
    out: list[Anomaly] = []
    summary = container.find("TxsSummry")
    if summary is None:
        return out
    for tag, wanted in (("TtlNtries", None), ("TtlCdtNtries", "CRDT"), ("TtlDbtNtries", "DBIT")):
        block = summary.find(tag)
        if block is None:
            continue
        chosen = [a for d, a in entries if wanted is None or d == wanted]
        out += check_count(path, reader, block, "NbOfNtries", len(chosen), f"{tag} entries")
        out += check_sum(path, reader, block, "Sum", chosen, "the entries")
    return out
