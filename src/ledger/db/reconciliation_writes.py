"""The SQL that records a return file's decisions: postings, outcomes, exceptions.

The lines, their matches and the decisions (``(line, code)`` pairs) are staged by
``reconciliation_store``; here the return file's row, the postings (into the journal's
staging table), the outcomes and the exceptions are written with ``INSERT ... SELECT``
joined to the staged tables, and the new instruction statuses with two set-based
UPDATEs. Nothing here commits or decides policy: ``ledger.reconciliation`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.db import kept_totals
from ledger.db.bulk import fill_temporary_table
from ledger.db.reconciliation_store import (
    BATCH_ACCOUNTS,
    CODES,
    DECISIONS,
    EXCEPTION_LINE_COLUMNS,
    EXCEPTIONS,
    LINES,
    MATCHES,
    REASONS,
    analyse,
)
from ledger.db.schema import reconciliation_exceptions, return_files
from ledger.db.schema.base import Timestamp
from ledger.operators import os_login


def insert_return_file(connection: sa.Connection, **values: Any) -> int:
    result = connection.execute(return_files.insert().values(**values, db_login=os_login()))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


# The decisions with their meaning and instruction: d.seq, m.instruction_id, c.outcome,
# c.posting, c.status.
_DECIDED = f"{DECISIONS} d JOIN {CODES} c ON c.code = d.code JOIN {MATCHES} m ON m.seq = d.seq"


def stage_postings(
    connection: sa.Connection, table: str, accounts: Sequence[tuple[Any, ...]]
) -> None:
    """Two postings per decision with a posting, into the journal's staging ``table``
    (``journal_staged.staging_table``) by account id. ``accounts`` gives per batch (id,
    payable name prefix, treasury, clearing): the payable of an instruction is its
    batch's prefix + its recipient's key (its name staged only if no such account is
    open, for the journal to refuse naming it).

    settle: Dr payable / Cr clearing; fail: Dr treasury / Cr clearing; return: Dr
    treasury / Cr payable. Each posting names its instruction."""
    fill_temporary_table(
        connection,
        BATCH_ACCOUNTS,
        [("batch_id", "BIGINT"), ("payable_prefix", "VARCHAR(200)"),
         ("treasury", "VARCHAR(200)"), ("clearing", "VARCHAR(200)"),
         ("treasury_id", "BIGINT"), ("clearing_id", "BIGINT")],
        [(*row, None, None) for row in accounts],
    )  # fmt: skip
    analyse(connection, BATCH_ACCOUNTS)
    connection.exec_driver_sql(
        f"UPDATE {BATCH_ACCOUNTS} SET"
        f" treasury_id = (SELECT id FROM accounts WHERE name = {BATCH_ACCOUNTS}.treasury),"
        f" clearing_id = (SELECT id FROM accounts WHERE name = {BATCH_ACCOUNTS}.clearing)"
    )
    instructions = (
        f" FROM {_DECIDED} JOIN payment_instructions i ON i.id = m.instruction_id"
        f" JOIN {BATCH_ACCOUNTS} n ON n.batch_id = i.batch_id"
    )
    # The payable leg (Dr on settle, Cr on return): the one that needs the recipient.
    connection.exec_driver_sql(
        f"INSERT INTO {table} (account_id, account, amount_fen, instruction_id)"
        " SELECT a.id, CASE WHEN a.id IS NULL THEN n.payable_prefix || r.key END,"
        " CASE c.posting WHEN 'settle' THEN i.amount_fen ELSE -i.amount_fen END, i.id"
        + instructions
        + " JOIN recipients r ON r.id = i.recipient_id"
        " LEFT JOIN accounts a ON a.name = n.payable_prefix || r.key"
        " WHERE c.posting IN ('settle', 'return')"
    )
    # The treasury (Dr on fail and return) and clearing (Cr on settle and fail) legs.
    connection.exec_driver_sql(
        f"INSERT INTO {table} (account_id, account, amount_fen, instruction_id)"
        " SELECT n.treasury_id, n.treasury, i.amount_fen, i.id"
        + instructions
        + " WHERE c.posting IN ('fail', 'return')"
        " UNION ALL SELECT n.clearing_id, n.clearing, -i.amount_fen, i.id"
        + instructions
        + " WHERE c.posting IN ('settle', 'fail')"
    )


def write_outcomes(
    connection: sa.Connection, file_id: int, transaction_id: int | None, now: datetime
) -> None:
    """One outcome row per decision, in line order: the reason only for a failure or a
    return, the transaction only where the line posted; then the file's kept counts per
    batch and outcome."""
    # Staged as ISO text; SQLite keeps dates as that text, PostgreSQL casts it.
    booking = (
        "CAST(l.booking_date AS DATE)"
        if connection.dialect.name == "postgresql"
        else "l.booking_date"
    )
    connection.execute(
        sa.text(
            "INSERT INTO instruction_outcomes (instruction_id, return_file_id, line, element,"
            " outcome, reason_code, reason_text, amount_fen, transaction_id, recorded_at,"
            " booking_date)"
            " SELECT m.instruction_id, :file, l.line, l.element, c.outcome,"
            " CASE WHEN c.outcome IN ('failed', 'returned') THEN x.reason_code END,"
            " x.reason_text, l.amount_fen,"
            f" CASE WHEN c.posting IS NOT NULL THEN :tx END, :now, {booking}"
            f" FROM {_DECIDED} JOIN {LINES} l ON l.seq = d.seq"
            f" LEFT JOIN {REASONS} x ON x.seq = d.seq ORDER BY d.seq"
        ).bindparams(
            sa.bindparam("now", type_=Timestamp),
            sa.bindparam("tx", type_=sa.BigInteger),
            sa.bindparam("file", type_=sa.BigInteger),
        ),
        {"file": file_id, "tx": transaction_id, "now": now},
    )
    kept_totals.add_outcomes(connection, file_id)


def write_exceptions(
    connection: sa.Connection, file_id: int, rows: Iterable[tuple[Any, ...]], now: datetime
) -> None:
    """One exception per ``EXCEPTION_LINE_COLUMNS`` row, with the line's own words."""
    if not fill_temporary_table(connection, EXCEPTIONS, EXCEPTION_LINE_COLUMNS, rows):
        return
    connection.execute(
        sa.text(
            "INSERT INTO reconciliation_exceptions (return_file_id, line, element, kind,"
            " end_to_end_id, instruction_id, batch_id, account_number, holder_name,"
            " amount_fen, detail, created_at)"
            " SELECT :file, l.line, l.element, e.kind, l.end_to_end_id, e.instruction_id,"
            " e.batch_id, l.account, l.holder_name, l.amount_fen, e.detail, :now"
            f" FROM {EXCEPTIONS} e JOIN {LINES} l ON l.seq = e.seq ORDER BY e.seq"
        ).bindparams(
            sa.bindparam("now", type_=Timestamp), sa.bindparam("file", type_=sa.BigInteger)
        ),
        {"file": file_id, "now": now},
    )


def insert_exceptions(connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        connection.execute(reconciliation_exceptions.insert(), list(rows))


def update_statuses(connection: sa.Connection, now: datetime) -> None:
    """The new status of each instruction from the decision that sets it: settled with
    its time; failed with its time and the line's reason, NARR when the bank gave no
    code. Each is one UPDATE ... FROM the decisions, which walks them in line order and
    finds each instruction by its key (``WHERE id IN (...)`` made SQLite sort 10^6 ids
    first: 1 s more)."""
    pi = "payment_instructions"
    connection.execute(
        sa.text(
            f"UPDATE {pi} SET status = 'settled', settled_at = :now"
            f" FROM (SELECT m.instruction_id FROM {_DECIDED} WHERE c.status = 'settled') f"
            f" WHERE {pi}.id = f.instruction_id"
        ).bindparams(sa.bindparam("now", type_=Timestamp)),
        {"now": now},
    )
    connection.execute(
        sa.text(
            f"UPDATE {pi} SET status = 'failed', failed_at = :now,"
            " reason_code = COALESCE(f.reason_code, 'NARR'), reason_text = f.reason_text"
            " FROM (SELECT m.instruction_id, x.reason_code, x.reason_text"
            f"  FROM {_DECIDED} LEFT JOIN {REASONS} x ON x.seq = d.seq"
            "  WHERE c.status = 'failed') f"
            f" WHERE {pi}.id = f.instruction_id"
        ).bindparams(sa.bindparam("now", type_=Timestamp)),
        {"now": now},
    )
