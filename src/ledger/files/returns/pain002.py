"""pain.002 (payment status report): group, payment-information and transaction status.

ISO status codes are mapped conservatively; only a clear statement of the outcome
settles or fails a payment:

| code                     | meaning                                      | ReturnStatus |
|--------------------------|----------------------------------------------|--------------|
| ACSC, ACCC               | settlement completed (debtor / creditor side) | SETTLED      |
| RJCT                     | rejected                                     | FAILED       |
| ACTC, ACCP, ACSP, ACWC,  | accepted at some stage, not yet settled;     | PENDING      |
| ACWP, ACFC, ACIS, PDNG,  | received; partially accepted (group/PmtInf); |              |
| RCVD, PART, PATC, CANC,  | cancelled; or a code we do not know          |              |
| anything else            |                                              |              |

A transaction the report does not list takes its ``PmtInfSts``, or failing that the
``GrpSts``: the parser emits those as lines of scope PAYMENT_INFORMATION / GROUP, and
``fallback_statuses`` applies them to the instructions the report leaves out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from ledger.files.returns.controls import check_sum, stated_sum
from ledger.files.returns.frame import LINE_KEYS, build_frame
from ledger.files.returns.model import Anomaly, AnomalyKind, ReturnStatus, Scope
from ledger.files.returns.xml_support import Reader, account_id, party_name, text

SETTLED_CODES = frozenset({"ACSC", "ACCC"})
FAILED_CODES = frozenset({"RJCT"})


def status_of(code: str | None) -> ReturnStatus:
    if code in SETTLED_CODES:
        return ReturnStatus.SETTLED
    if code in FAILED_CODES:
        return ReturnStatus.FAILED
    return ReturnStatus.PENDING


def _reason(element: etree._Element) -> tuple[str | None, str | None]:
    infos = element.findall("StsRsnInf")
    codes = [c for c in (text(i, "Rsn/Cd") or text(i, "Rsn/Prtry") for i in infos) if c]
    notes = [n.text.strip() for i in infos for n in i.findall("AddtlInf") if n.text]
    return (codes[0] if codes else None), (" ".join(notes) or None)


def parse(
    path: Path, reader: Reader, message: etree._Element
) -> tuple[pd.DataFrame, list[Anomaly]]:
    rows: dict[str, list[Any]] = {k: [] for k in _ROW_KEYS}
    anomalies: list[Anomaly] = []
    group = message.find("OrgnlGrpInfAndSts")
    if group is None:
        reader.problems.add(
            message.sourceline, "OrgnlGrpInfAndSts is missing", reader.where(message)
        )
        reader.problems.raise_if_any()
    assert group is not None
    msg_id = text(group, "OrgnlMsgId")
    group_code = text(group, "GrpSts")
    if group_code is not None:
        _add(rows, reader, group, Scope.GROUP, msg_id, None, None, group_code, amount=None)
    all_tx: list[tuple[etree._Element, int | None]] = []
    # pain.002.001.03 and later: OrgnlPmtInfAndSts under the message; some banks list
    # TxInfAndSts directly under the message too.
    for pmt in message.findall("OrgnlPmtInfAndSts"):
        pmt_id = text(pmt, "OrgnlPmtInfId")
        pmt_code = text(pmt, "PmtInfSts")
        if pmt_code is not None:
            _add(rows, reader, pmt, Scope.PAYMENT_INFORMATION, msg_id, pmt_id, None, pmt_code, None)
        listed = []
        for tx in pmt.findall("TxInfAndSts"):
            amount = reader.amount(tx, "OrgnlTxRef/Amt/InstdAmt", required=False)
            _add(rows, reader, tx, Scope.TRANSACTION, msg_id, pmt_id, tx, text(tx, "TxSts"), amount)
            listed.append((tx, amount))
        anomalies += _check_totals(path, reader, pmt, listed, "OrgnlNbOfTxs", "OrgnlCtrlSum")
        all_tx += listed
    for tx in message.findall("TxInfAndSts"):
        amount = reader.amount(tx, "OrgnlTxRef/Amt/InstdAmt", required=False)
        _add(rows, reader, tx, Scope.TRANSACTION, msg_id, None, tx, text(tx, "TxSts"), amount)
        all_tx.append((tx, amount))
    anomalies += _check_totals(path, reader, group, all_tx, "OrgnlNbOfTxs", "OrgnlCtrlSum")
    reader.problems.raise_if_any()
    columns: dict[str, Any] = dict(rows)
    columns["amount_fen"] = pd.array(rows["amount_fen"], dtype="Int64")
    return build_frame(path.name, columns, len(rows["line"])), anomalies


_ROW_KEYS = (*LINE_KEYS, "scope")


def _add(
    rows: dict[str, list[Any]],
    reader: Reader,
    element: etree._Element,
    scope: Scope,
    msg_id: str | None,
    pmt_id: str | None,
    tx: etree._Element | None,
    code: str | None,
    amount: int | None,
) -> None:
    reason_code, reason_text = _reason(element)
    status = status_of(code)
    rows["line"].append(element.sourceline)
    rows["element"].append(reader.where(element))
    rows["scope"].append(scope.value)
    rows["end_to_end_id"].append(text(tx, "OrgnlEndToEndId") if tx is not None else None)
    rows["original_msg_id"].append(msg_id)
    rows["original_pmt_inf_id"].append(pmt_id)
    ref = tx.find("OrgnlTxRef") if tx is not None else None
    rows["account"].append(account_id(ref.find("CdtrAcct")) if ref is not None else None)
    rows["holder_name"].append(party_name(ref.find("Cdtr")) if ref is not None else None)
    rows["amount_fen"].append(amount)
    rows["status"].append(status.value)
    if status is ReturnStatus.FAILED and reason_code is None:
        reason_code = "NARR"
    rows["reason_code"].append(reason_code)
    # Keep the bank's status code in the text when it is not one of ours: it tells
    # the reader why a line is pending (e.g. "ACSP").
    rows["reason_text"].append(reason_text if code else (reason_text or "no status given"))


def _check_totals(
    path: Path,
    reader: Reader,
    element: etree._Element,
    listed: list[tuple[etree._Element, int | None]],
    count_tag: str,
    sum_tag: str,
) -> list[Anomaly]:
    """Stated original totals against the transactions listed (only comparable when all are)."""
    out: list[Anomaly] = []
    stated_count = text(element, count_tag)
    where = reader.where(element)
    if stated_count is not None and stated_count.isdigit() and len(listed) > int(stated_count):
        out.append(
            Anomaly(
                path.name,
                element.sourceline,
                AnomalyKind.CONTROL_COUNT,
                f"{count_tag} says {stated_count} transactions, the report lists {len(listed)}",
                where,
            )
        )
    complete = stated_count is not None and stated_count == str(len(listed))
    if complete:
        out += check_sum(
            path, reader, element, sum_tag, [a for _, a in listed], "the listed transactions"
        )
    elif isinstance(stated_sum(element, sum_tag), str):
        out += check_sum(path, reader, element, sum_tag, [None], "")
    return out


def fallback_statuses(lines: pd.DataFrame, instructions: pd.DataFrame) -> pd.Series:
    """The status each instruction takes from a pain.002, listed or not.

    ``instructions`` has columns ``end_to_end_id``, ``msg_id`` and ``pmt_inf_id`` (the
    pain.001 the instruction was sent in). A listed transaction takes its own status;
    one not listed takes its PmtInf's status, else its group's, else stays PENDING.
    Returns a Series of ReturnStatus values aligned with ``instructions``.
    """
    tx = lines[lines["scope"] == Scope.TRANSACTION.value]
    own = instructions["end_to_end_id"].map(
        dict(zip(tx["end_to_end_id"], tx["status"].astype(str), strict=True))
    )
    pmt = lines[lines["scope"] == Scope.PAYMENT_INFORMATION.value]
    pmt_status = {
        (m, p): s
        for m, p, s in zip(
            pmt["original_msg_id"],
            pmt["original_pmt_inf_id"],
            pmt["status"].astype(str),
            strict=True,
        )
    }
    grp = lines[lines["scope"] == Scope.GROUP.value]
    grp_status = dict(zip(grp["original_msg_id"], grp["status"].astype(str), strict=True))
    keys = list(zip(instructions["msg_id"], instructions["pmt_inf_id"], strict=True))
    by_pmt = pd.Series([pmt_status.get(k) for k in keys], index=instructions.index, dtype=object)
    by_grp = instructions["msg_id"].map(grp_status)
    result = own.astype(object).where(own.notna(), by_pmt)
    result = result.where(result.notna(), by_grp).fillna(ReturnStatus.PENDING.value)
    return result.map(ReturnStatus)
