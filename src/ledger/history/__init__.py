"""One person's history as auditors read it: the cut at a date, the timeline, balances.

Pure functions over the rows ``ledger.db.audit_reads.load_history`` returns. The cut
``as_of`` keeps what was known at the end of that day (China time): roster versions by
their import time, entitlements and instructions by their batch's creation, bank
outcomes by the time they were recorded, postings by their effective date. An
instruction's status as of the date is rebuilt from the recorded times (settled_at,
failed_at, cancelled_at, its outcomes, the creation of its re-issue, its batch's void).

The document is the stable JSON of ``ledger audit history`` (docs/audit.md): amounts are
``*_fen`` integers with a yuan text beside them, times ISO 8601 in UTC, dates ISO.

Modules: ``clock`` (the cut, times, formatting), ``enrolments``, ``instructions``
(with bank outcomes), ``money_rows`` (entitlements, postings, balances), ``person`` (the
document), ``batch_trail`` (``ledger audit batch``).
"""

from ledger.history.batch_trail import BATCH_FORMAT, INSTRUCTION_COLUMNS, build_batch_trail
from ledger.history.clock import CHINA_TIME, FORMAT, cutoff_for, iso, local_date, utc
from ledger.history.money_rows import posting_category
from ledger.history.person import EVENT_COLUMNS, TABLE_COLUMNS, build_history

__all__ = [
    "BATCH_FORMAT",
    "CHINA_TIME",
    "EVENT_COLUMNS",
    "FORMAT",
    "INSTRUCTION_COLUMNS",
    "TABLE_COLUMNS",
    "build_batch_trail",
    "build_history",
    "cutoff_for",
    "iso",
    "local_date",
    "posting_category",
    "utc",
]
