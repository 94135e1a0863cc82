"""What a bank return says about one payment, whatever the file format.

Every parser in this package produces the same columns (``COLUMNS``), as a pandas
DataFrame for the bulk path (10^6 lines) and, for small paths and tests, as
``ReturnRecord`` values. A record is what the bank *said*; matching it to a payment
instruction, and deciding what to post, is the reconciliation's job, not the parser's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ReturnStatus(StrEnum):
    """The outcome a bank reported for one payment, in precedence order.

    SETTLED  the bank clearly said the money reached (or left for) the recipient:
             ISO ``ACSC``/``ACCC``, a booked debit entry, CSV ``成功``.
    FAILED   the bank clearly said it did not, or sent it back: ISO ``RJCT``, a booked
             return entry, a pacs.004 return, CSV ``失败``.
    PENDING  everything else. An unknown or ambiguous status is never FAILED:
             re-paying a payment that in fact arrived pays it twice.
    """

    SETTLED = "settled"
    FAILED = "failed"
    PENDING = "pending"


class Scope(StrEnum):
    """What a line's status is about.

    TRANSACTION          one payment (the normal case).
    PAYMENT_INFORMATION  a pain.002 ``PmtInfSts``: the status of every payment of that
                         ``PmtInf`` the report does not list one by one.
    GROUP                a pain.002 ``GrpSts``: the status of every payment of the original
                         message not listed, and not covered by a PAYMENT_INFORMATION line.
    """

    TRANSACTION = "transaction"
    PAYMENT_INFORMATION = "payment_information"
    GROUP = "group"


# The columns of every return frame, in order. ``amount_fen`` is numpy int64, except in
# pain.002 reports (which often state no amounts), where it is pandas' nullable Int64.
COLUMNS = (
    "source_file",  # category: the file's name
    "line",  # int64: physical line (text) or lxml sourceline (XML) of the record
    "element",  # str: XML element path ("" for text files)
    "scope",  # category: Scope
    "sequence",  # Int64: the 序号 the file echoes (text profiles), else <NA>
    "end_to_end_id",  # str or <NA>: the EndToEndId (业务流水号) if the bank echoed it
    "original_msg_id",  # str or <NA>: OrgnlMsgId / Refs/MsgId (ISO only)
    "original_pmt_inf_id",  # str or <NA>: OrgnlPmtInfId / Refs/PmtInfId (ISO only)
    "account",  # str or <NA>: the recipient's account (卡号, CdtrAcct Id)
    "holder_name",  # str or <NA>: the recipient's name (户名, Cdtr Nm)
    "amount_fen",  # int64 (Int64 in pain.002): the amount, in fen
    "status",  # category: ReturnStatus
    "reason_code",  # str or <NA>: ISO reason code (BE01, AC04, ..., NARR)
    "reason_text",  # str or <NA>: the bank's own words (失败原因, AddtlInf)
    "booking_date",  # datetime64: BookgDt, if given
    "value_date",  # datetime64: ValDt / IntrBkSttlmDt, if given
    "credit_debit",  # str or <NA>: camt CdtDbtInd (DBIT for our payments)
    "is_return",  # bool: a return after settlement (pacs.004, camt return entry)
)


@dataclass(frozen=True)
class ReturnRecord:
    """One line of a return file (the small-path twin of a frame row)."""

    source_file: str
    line: int
    status: ReturnStatus
    amount_fen: int | None
    element: str = ""
    scope: Scope = Scope.TRANSACTION
    sequence: int | None = None
    end_to_end_id: str | None = None
    original_msg_id: str | None = None
    original_pmt_inf_id: str | None = None
    account: str | None = None
    holder_name: str | None = None
    reason_code: str | None = None
    reason_text: str | None = None
    booking_date: date | None = None
    value_date: date | None = None
    credit_debit: str | None = None
    is_return: bool = False


class AnomalyKind(StrEnum):
    """A contradiction inside a file. The lines stay usable; phase B records a finding."""

    CONTROL_COUNT = "control_count"  # a stated number of lines/entries/transactions is wrong
    CONTROL_SUM = "control_sum"  # a stated total amount is wrong
    ENTRY_DETAILS = "entry_details"  # a batch entry's amount or count contradicts its TxDtls


@dataclass(frozen=True)
class Anomaly:
    source_file: str
    line: int
    kind: AnomalyKind
    message: str
    element: str = ""

    def __str__(self) -> str:
        where = f"{self.source_file}:{self.line}" + (f" {self.element}" if self.element else "")
        return f"{where}: {self.message}"
