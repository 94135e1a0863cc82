"""The SQL behind reconciliation: staged lines, matching by joins, bulk writes.

A return file's lines are staged in a temporary table; matching is three joins
(EndToEndId; batch and line number; account, amount and name when unique). The
decisions (what each line does, decided in ``ledger.reconciliation``) are staged as
(line, code) pairs; the postings (into the journal's staging table), outcomes and
exceptions are then written with ``INSERT ... SELECT`` joined to the staged lines, and
the new instruction statuses with two set-based UPDATEs. No row travels through Python
more than once each way. Nothing here commits or decides policy:
``ledger.reconciliation`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.db.bulk import copy_rows, fetch_all, fill_temporary_table

# The per-batch reads live in ``reconciliation_status``; re-exported for the callers.
from ledger.db.reconciliation_status import (  # noqa: F401
    STATUS_KINDS,
    batch_clearing,
    batch_summaries,
    pending_counts,
)
from ledger.db.schema import reconciliation_exceptions, return_files
from ledger.db.schema.base import Timestamp
from ledger.operators import os_login

LINES = "ledger_recon_lines"
REASONS = "ledger_recon_reasons"
MATCHES = "ledger_recon_matches"
DECISIONS = "ledger_recon_decisions"
CODES = "ledger_recon_codes"
EXCEPTIONS = "ledger_recon_exceptions"
BATCH_ACCOUNTS = "ledger_recon_batch_accounts"

# Everything later statements need of a line: matching (EndToEndId, 序号, account, name,
# amount) and recording (line, element, reason). ``seq`` is the line's position.
LINE_COLUMNS = [
    ("seq", "INTEGER PRIMARY KEY"),
    ("end_to_end_id", "VARCHAR(35)"),
    ("sequence", "BIGINT"),
    ("account", "VARCHAR(40)"),
    ("holder_name", "VARCHAR(64)"),
    ("amount_fen", "BIGINT"),
    ("line", "BIGINT"),
    ("element", "VARCHAR(128)"),
    ("booking_date", "VARCHAR(10)"),  # YYYY-MM-DD (camt BookgDt)
]
# The bank's reason, staged apart for the (few) lines that give one.
REASON_COLUMNS = [
    ("seq", "INTEGER PRIMARY KEY"),
    ("reason_code", "VARCHAR(8)"),
    ("reason_text", "TEXT"),
]
# What each line with an outcome does, as a code (few distinct ones per file) whose
# meaning CODES gives: the outcome recorded, the posting made (settle, fail, return or
# NULL) and, on the line that decides it, the instruction's new status (else NULL).
DECISION_COLUMNS = [("seq", "INTEGER PRIMARY KEY"), ("code", "INTEGER")]
CODE_COLUMNS = [
    ("code", "INTEGER PRIMARY KEY"),
    ("outcome", "VARCHAR(16)"),
    ("posting", "VARCHAR(8)"),
    ("status", "VARCHAR(16)"),
]
EXCEPTION_LINE_COLUMNS = [
    ("seq", "BIGINT"),
    ("kind", "VARCHAR(32)"),
    ("instruction_id", "BIGINT"),
    ("batch_id", "BIGINT"),
    ("detail", "TEXT"),
]


# PostgreSQL memory for each sort or hash of the import's joins (10^6-row temporary
# tables): with the default 4 MB they spill to disk in many batches, and the import is
# ~1.5x slower. For this transaction only.
POSTGRESQL_WORK_MEM = "256MB"


def prepare(connection: sa.Connection) -> None:
    """Session settings for the import's bulk joins (PostgreSQL: ``work_mem`` for the
    transaction; SQLite's page cache is set by ``batches_store.lock_batches``)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{POSTGRESQL_WORK_MEM}'")


def find_file(connection: sa.Connection, sha256: str) -> sa.Row[Any] | None:
    return connection.execute(
        sa.select(return_files).where(return_files.c.file_sha256 == sha256)
    ).first()


def stage_lines(
    connection: sa.Connection,
    columns: dict[str, list[Any]],
    reasons: Iterable[tuple[int, str | None, str | None]],
) -> int:
    """Stage the lines: ``columns`` by name (``LINE_COLUMNS`` but ``seq``, the position);
    a column with no value at all is left NULL without binding 10^6 NULLs. ``reasons``:
    ``REASON_COLUMNS`` for the lines that give a reason."""
    definition = ", ".join(f"{name} {type_}" for name, type_ in LINE_COLUMNS)
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {LINES} ({definition})")
    connection.exec_driver_sql(f"DELETE FROM {LINES}")
    given = {n: v for n, v in columns.items() if any(x is not None for x in v)}
    count = len(next(iter(columns.values()), []))
    copy_rows(
        connection,
        LINES,
        ["seq", *given],
        zip(range(count), *given.values(), strict=True),
    )
    fill_temporary_table(connection, REASONS, REASON_COLUMNS, reasons)
    _analyse(connection, LINES, REASONS)
    return count


def _analyse(connection: sa.Connection, *tables: str) -> None:
    """PostgreSQL plans joins of temporary tables well only with their statistics (it
    never analyses them itself: without, 10^6-row joins run as nested loops)."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.exec_driver_sql(f"ANALYZE {table}")


def match_lines(connection: sa.Connection, batch_id: int | None) -> None:
    """Fill MATCHES (seq, instruction_id): by EndToEndId when the line has one; else by
    (batch, line number) when the batch is known; else by (account, amount, name) when
    exactly one instruction of an exported batch has them."""
    # At most one instruction per line: the EndToEndId is unique, so is (batch, line
    # number), and the third join takes only lines that neither matched, and a group of
    # exactly one instruction; the key says so.
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {MATCHES}"
        " (seq INTEGER PRIMARY KEY, instruction_id BIGINT)"
    )
    connection.exec_driver_sql(f"DELETE FROM {MATCHES}")
    connection.exec_driver_sql(
        f"INSERT INTO {MATCHES} (seq, instruction_id) SELECT l.seq, i.id FROM {LINES} l"
        " JOIN payment_instructions i ON i.end_to_end_id = l.end_to_end_id"
    )
    if batch_id is not None:
        connection.exec_driver_sql(
            f"INSERT INTO {MATCHES} (seq, instruction_id) SELECT l.seq, i.id FROM {LINES} l"
            f" JOIN payment_instructions i ON i.batch_id = {int(batch_id)}"
            " AND i.line_number = l.sequence WHERE l.end_to_end_id IS NULL"
        )
    connection.exec_driver_sql(
        f"INSERT INTO {MATCHES} (seq, instruction_id)"
        f" SELECT l.seq, u.id FROM {LINES} l JOIN ("
        "  SELECT MIN(i.id) AS id, i.account_number, i.amount_fen, i.account_holder"
        "  FROM payment_instructions i JOIN batches b ON b.id = i.batch_id"
        "  WHERE b.state IN ('exported', 'partially_reconciled', 'reconciled')"
        f"  AND i.account_number IN (SELECT account FROM {LINES}"
        "   WHERE end_to_end_id IS NULL AND account IS NOT NULL)"
        "  GROUP BY i.account_number, i.amount_fen, i.account_holder HAVING COUNT(*) = 1"
        " ) u ON u.account_number = l.account AND u.amount_fen = l.amount_fen"
        " AND u.account_holder = l.holder_name"
        f" WHERE l.end_to_end_id IS NULL AND l.seq NOT IN (SELECT seq FROM {MATCHES})"
    )
    _analyse(connection, MATCHES)


MATCHED_COLUMNS = (
    "seq",
    "instruction_id",
    "batch_id",
    "amount_fen",  # the instruction's
    # The position of the instruction's status in ``statuses`` * 4, + 2 if the line
    # states another amount, + 1 if it names another account (compared in SQL: no
    # account number travels to Python).
    "state",
)


def matched_instructions(
    connection: sa.Connection, statuses: Sequence[str], chunk: int = 200_000
) -> Iterator[list[tuple[int, ...]]]:
    """The instruction each matched line names, ``MATCHED_COLUMNS`` per row, all
    integers, in line order, in chunks."""
    status = " ".join(f"WHEN '{s}' THEN {4 * i}" for i, s in enumerate(statuses))
    raw: Any = connection.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.execute(
            f"SELECT m.seq, i.id, i.batch_id, i.amount_fen, CASE i.status {status} ELSE -4 END"
            " + CASE WHEN l.amount_fen IS NOT NULL AND l.amount_fen <> i.amount_fen"
            "  THEN 2 ELSE 0 END"
            " + CASE WHEN l.account IS NOT NULL AND l.account <> i.account_number"
            "  THEN 1 ELSE 0 END"
            f" FROM {MATCHES} m JOIN payment_instructions i ON i.id = m.instruction_id"
            f" JOIN {LINES} l ON l.seq = m.seq ORDER BY m.seq"
        )
        while rows := cursor.fetchmany(chunk):
            yield rows
    finally:
        cursor.close()


def batch_columns(connection: sa.Connection, batch_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """(id, state, program, bank) of each batch: the bank is the one its funding
    moved money to (BankClearing:{bank})."""
    if not batch_ids:
        return []
    ids = ", ".join(str(int(b)) for b in batch_ids)
    return fetch_all(
        connection, f"SELECT id, state, program, bank FROM batches WHERE id IN ({ids})"
    )


def earlier_outcomes(connection: sa.Connection, file_format: str) -> list[tuple[Any, ...]]:
    """Per matched instruction that has outcomes already: (id, money came back by a
    posted return, settled by a file of this format, returned by a file of this format)."""
    return fetch_all(
        connection,
        "SELECT o.instruction_id,"
        " MAX(CASE WHEN o.outcome = 'returned' AND o.transaction_id IS NOT NULL"
        "  THEN 1 ELSE 0 END),"
        " MAX(CASE WHEN o.outcome = 'settled' AND f.format = ? THEN 1 ELSE 0 END),"
        " MAX(CASE WHEN o.outcome = 'returned' AND f.format = ? THEN 1 ELSE 0 END)"
        " FROM instruction_outcomes o JOIN return_files f ON f.id = o.return_file_id"
        f" WHERE o.instruction_id IN (SELECT instruction_id FROM {MATCHES})"
        " GROUP BY o.instruction_id",
        (file_format, file_format),
    )


def batch_instruction_ids(connection: sa.Connection, batch_id: int) -> list[tuple[int, str]]:
    return [
        (int(i), str(e))
        for i, e in fetch_all(
            connection,
            "SELECT id, end_to_end_id FROM payment_instructions WHERE batch_id = ?",
            (int(batch_id),),
        )
    ]


def batch_exists(connection: sa.Connection, batch_id: int) -> bool:
    rows = fetch_all(connection, "SELECT 1 FROM batches WHERE id = ?", (int(batch_id),))
    return bool(rows)


def insert_return_file(connection: sa.Connection, **values: Any) -> int:
    result = connection.execute(return_files.insert().values(**values, db_login=os_login()))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def db_time(connection: sa.Connection, moment: datetime) -> Any:
    """A timestamp as the driver takes it for a ``Timestamp`` column (raw bulk writes)."""
    process = Timestamp.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return process(moment) if process is not None else moment


def stage_decisions(
    connection: sa.Connection,
    codes: Sequence[tuple[int, str, str | None, str | None]],
    rows: Iterable[tuple[int, int]],
) -> int:
    """``codes``: (code, outcome, posting, status); ``rows``: (seq, code) per line that
    has an outcome."""
    fill_temporary_table(connection, CODES, CODE_COLUMNS, list(codes))
    count = fill_temporary_table(connection, DECISIONS, DECISION_COLUMNS, rows)
    _analyse(connection, CODES, DECISIONS)
    return count


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
    _analyse(connection, BATCH_ACCOUNTS)
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
    return, the transaction only where the line posted."""
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


def drop_staged(connection: sa.Connection) -> None:
    for table in (LINES, REASONS, MATCHES, DECISIONS, CODES, EXCEPTIONS, BATCH_ACCOUNTS):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
