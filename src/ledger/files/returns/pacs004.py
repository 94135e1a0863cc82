"""pacs.004 (payment return): a payment that had settled comes back.

Every ``TxInf`` is a FAILED line with ``is_return`` set, its ``OrgnlEndToEndId``, the
returned amount ``RtrdIntrBkSttlmAmt`` and the reason ``RtrRsnInf/Rsn/Cd`` (``RtrRsn``
in the oldest versions). The recipient's account and name: ``OrgnlTxRef/CdtrAcct`` and
``Cdtr`` (the original payment's creditor), or, where the version puts the parties in
the return chain (.10, .11), ``RtrChain/DbtrAcct`` and ``RtrChain/Dbtr``: the return
runs from the original creditor back to us, so our recipient is the return's *debtor*.
Control totals: ``GrpHdr/NbOfTxs``, ``CtrlSum`` and ``TtlRtrdIntrBkSttlmAmt``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from lxml import etree

from ledger.files.returns.controls import check_sum
from ledger.files.returns.frame import LINE_KEYS, build_frame
from ledger.files.returns.model import Anomaly, AnomalyKind, ReturnStatus
from ledger.files.returns.xml_support import (
    Reader,
    account_id,
    first_text,
    party_name,
    text,
)

_KEYS = (
    *LINE_KEYS,
    "value_date",
    "is_return",
)


def parse(
    path: Path, reader: Reader, message: etree._Element
) -> tuple[pd.DataFrame, list[Anomaly]]:
    rows: dict[str, list[Any]] = {k: [] for k in _KEYS}
    header = message.find("GrpHdr")
    group_msg_id = text(message, "OrgnlGrpInf/OrgnlMsgId")
    group_date = reader.date(header, "IntrBkSttlmDt") if header is not None else None
    for tx in message.findall("TxInf"):
        amount = reader.amount(tx, "RtrdIntrBkSttlmAmt", required=True)
        ref = tx.find("OrgnlTxRef")
        notes = " ".join(
            n.text.strip()
            for tag in ("RtrRsnInf/AddtlInf", "RtrRsnInf/AddtlRtrRsnInf")
            for n in tx.findall(tag)
            if n.text
        )
        rows["line"].append(tx.sourceline)
        rows["element"].append(reader.where(tx))
        rows["end_to_end_id"].append(text(tx, "OrgnlEndToEndId"))
        rows["original_msg_id"].append(text(tx, "OrgnlGrpInf/OrgnlMsgId") or group_msg_id)
        rows["original_pmt_inf_id"].append(None)
        chain = tx.find("RtrChain")
        rows["account"].append(
            (account_id(ref.find("CdtrAcct")) if ref is not None else None)
            or (account_id(chain.find("DbtrAcct")) if chain is not None else None)
        )
        rows["holder_name"].append(
            (party_name(ref.find("Cdtr")) if ref is not None else None)
            or (party_name(chain.find("Dbtr")) if chain is not None else None)
        )
        rows["amount_fen"].append(amount if amount is not None else 0)
        rows["status"].append(ReturnStatus.FAILED.value)
        rows["reason_code"].append(
            first_text(tx, "RtrRsnInf/Rsn/Cd", "RtrRsnInf/Rsn/Prtry", "RtrRsnInf/RtrRsn/Cd")
            or "NARR"
        )
        rows["reason_text"].append(notes or None)
        rows["value_date"].append(reader.date(tx, "IntrBkSttlmDt") or group_date)
        rows["is_return"].append(True)
    anomalies = (
        _check_totals(path, reader, header, rows["amount_fen"]) if header is not None else []
    )
    reader.problems.raise_if_any()
    columns: dict[str, Any] = dict(rows)
    columns["amount_fen"] = np.asarray(rows["amount_fen"], dtype=np.int64)
    return build_frame(path.name, columns, len(rows["line"])), anomalies


def _check_totals(
    path: Path, reader: Reader, header: etree._Element, amounts: list[int]
) -> list[Anomaly]:
    out: list[Anomaly] = []
    where = reader.where(header)
    stated = text(header, "NbOfTxs")
    if stated is not None and stated != str(len(amounts)):
        out.append(
            Anomaly(
                path.name,
                header.sourceline,
                AnomalyKind.CONTROL_COUNT,
                f"NbOfTxs says {stated}, the file has {len(amounts)} TxInf",
                where,
            )
        )
    for tag in ("CtrlSum", "TtlRtrdIntrBkSttlmAmt"):
        out += check_sum(path, reader, header, tag, amounts, "the returns")
    return out
