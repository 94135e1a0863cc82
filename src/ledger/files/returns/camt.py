"""camt.053 (statement), camt.054 (notification) and camt.052 (report) entries.

Each ``Ntry`` with ``TxDtls`` gives one line per ``TxDtls`` (a batch-booked entry has
many); an entry with no details gives one line for the entry itself. Status:

| entry                                        | ReturnStatus | is_return |
|----------------------------------------------|--------------|-----------|
| DBIT, Sts BOOK                               | SETTLED      | no        |
| CRDT with RtrInf (or BkTxCd family RRTN), BOOK | FAILED     | yes       |
| any return entry not BOOK                    | PENDING      | yes       |
| PDNG, INFO, FUTR, unknown; reversal; other CRDT | PENDING   | no        |

A CRDT entry that is not a return (money arriving) is not a payment outcome: it is
kept, PENDING, so phase B can report it as matching no instruction.
Control totals checked: ``TxsSummry/TtlNtries``, ``TtlCdtNtries``, ``TtlDbtNtries``
(number and sum of entries), and a batch entry's ``Btch/NbOfTxs``/``TtlAmt`` and its
amount against its ``TxDtls``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from lxml import etree

from ledger.files.returns.frame import build_frame
from ledger.files.returns.model import Anomaly, AnomalyKind, ReturnStatus
from ledger.files.returns.xml_support import Reader, account_id, first_text, party_name, text

CONTAINERS = ("Stmt", "Ntfctn", "Rpt")
_KEYS = (
    "line",
    "element",
    "end_to_end_id",
    "original_msg_id",
    "original_pmt_inf_id",
    "account",
    "holder_name",
    "amount_fen",
    "status",
    "reason_code",
    "reason_text",
    "booking_date",
    "value_date",
    "credit_debit",
    "is_return",
)


def _entry_status(entry: etree._Element) -> str | None:
    return first_text(entry, "Sts/Cd", "Sts/Prtry", "Sts")


def _is_return(entry: etree._Element, details: etree._Element | None) -> bool:
    if details is not None and details.find("RtrInf") is not None:
        return True
    return text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd") == "RRTN"


def parse(
    path: Path, reader: Reader, message: etree._Element
) -> tuple[pd.DataFrame, list[Anomaly]]:
    rows: dict[str, list[Any]] = {k: [] for k in _KEYS}
    anomalies: list[Anomaly] = []
    for container in (c for tag in CONTAINERS for c in message.findall(tag)):
        entries = container.findall("Ntry")
        entry_amounts: list[tuple[str | None, int | None]] = []
        for entry in entries:
            amount = reader.amount(entry, "Amt", required=True)
            entry_amounts.append((text(entry, "CdtDbtInd"), amount))
            anomalies += _entry(path, reader, entry, amount, rows)
        anomalies += _check_summary(path, reader, container, entry_amounts)
    reader.problems.raise_if_any()
    columns: dict[str, Any] = dict(rows)
    columns["amount_fen"] = np.asarray(rows["amount_fen"], dtype=np.int64)
    return build_frame(path.name, columns, len(rows["line"])), anomalies


def _entry(
    path: Path,
    reader: Reader,
    entry: etree._Element,
    amount: int | None,
    rows: dict[str, list[Any]],
) -> list[Anomaly]:
    direction = text(entry, "CdtDbtInd")
    code = _entry_status(entry)
    reversal = text(entry, "RvslInd") == "true"
    booking = reader.date(entry, "BookgDt")
    value = reader.date(entry, "ValDt")
    details = entry.findall("NtryDtls/TxDtls")
    anomalies: list[Anomaly] = []
    detail_amounts: list[int | None] = []
    for item in details or [None]:
        source = item if item is not None else entry
        if item is None or (len(details) == 1 and item.find("Amt") is None):
            line_amount = amount
        else:
            line_amount = reader.amount(item, "Amt", required=True)
        detail_amounts.append(line_amount)
        returned = _is_return(entry, item)
        status = ReturnStatus.PENDING
        if code == "BOOK" and not reversal:
            if returned:
                status = ReturnStatus.FAILED
            elif direction == "DBIT":
                status = ReturnStatus.SETTLED
        reason_code = text(item, "RtrInf/Rsn/Cd") if item is not None else None
        if reason_code is None and item is not None:
            reason_code = text(item, "RtrInf/Rsn/Prtry")
        if status is ReturnStatus.FAILED and reason_code is None:
            reason_code = "NARR"
        notes = " ".join(n.text.strip() for n in source.findall("RtrInf/AddtlInf") if n.text)
        parties = item.find("RltdPties") if item is not None else None
        creditor = parties.find("Cdtr") if parties is not None else None
        creditor_account = parties.find("CdtrAcct") if parties is not None else None
        rows["line"].append(source.sourceline)
        rows["element"].append(reader.where(source))
        rows["end_to_end_id"].append(text(item, "Refs/EndToEndId") if item is not None else None)
        rows["original_msg_id"].append(text(item, "Refs/MsgId") if item is not None else None)
        rows["original_pmt_inf_id"].append(
            text(item, "Refs/PmtInfId") if item is not None else None
        )
        rows["account"].append(account_id(creditor_account))
        rows["holder_name"].append(party_name(creditor))
        rows["amount_fen"].append(line_amount if line_amount is not None else 0)
        rows["status"].append(status.value)
        rows["reason_code"].append(reason_code)
        rows["reason_text"].append(notes or ("reversal" if reversal else None))
        rows["booking_date"].append(booking)
        rows["value_date"].append(value)
        rows["credit_debit"].append(direction)
        rows["is_return"].append(returned)
    if len(details) > 1:
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
    where = reader.where(entry)
    known = [a for a in detail_amounts if a is not None]
    if amount is not None and len(known) == len(detail_amounts) and sum(known) != amount:
        out.append(
            Anomaly(
                path.name,
                entry.sourceline,
                AnomalyKind.ENTRY_DETAILS,
                f"entry amount {amount} fen, its {len(known)} TxDtls sum to {sum(known)} fen",
                where,
            )
        )
    stated = text(entry, "NtryDtls/Btch/NbOfTxs")
    if stated is not None and stated != str(len(detail_amounts)):
        out.append(
            Anomaly(
                path.name,
                entry.sourceline,
                AnomalyKind.CONTROL_COUNT,
                f"Btch/NbOfTxs says {stated}, the entry has {len(detail_amounts)} TxDtls",
                where,
            )
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
        where = reader.where(block)
        stated = text(block, "NbOfNtries")
        if stated is not None and stated != str(len(chosen)):
            out.append(
                Anomaly(
                    path.name,
                    block.sourceline,
                    AnomalyKind.CONTROL_COUNT,
                    f"{tag}/NbOfNtries says {stated}, the file has {len(chosen)} entries",
                    where,
                )
            )
        stated_sum = reader.amount(block, "Sum", required=False)
        total = sum(a for a in chosen if a is not None)
        if stated_sum is not None and stated_sum != total:
            out.append(
                Anomaly(
                    path.name,
                    block.sourceline,
                    AnomalyKind.CONTROL_SUM,
                    f"{tag}/Sum says {stated_sum} fen, the entries sum to {total} "
                    f"fen ({total - stated_sum:+d})",
                    where,
                )
            )
    return out
