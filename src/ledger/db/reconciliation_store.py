"""The SQL behind reconciliation: staged lines, matching by joins, the matches read back.

A return file's lines are staged in a temporary table; matching is three joins
(EndToEndId; batch and line number; account, amount and name when unique). The
decisions (what each line does, decided in ``ledger.reconciliation_decisions``) are
staged as (line, code) pairs; ``reconciliation_writes`` then writes the postings,
outcomes, exceptions and statuses from these tables. No row travels through Python
more than once each way. Nothing here commits or decides policy:
``ledger.reconciliation`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db.bulk import copy_rows, fetch_all, fill_temporary_table
from ledger.db.schema import return_files

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
    analyse(connection, LINES, REASONS)
    return count


def analyse(connection: sa.Connection, *tables: str) -> None:
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
    analyse(connection, MATCHES)


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


def stage_decisions(
    connection: sa.Connection,
    codes: Sequence[tuple[int, str, str | None, str | None]],
    rows: Iterable[tuple[int, int]],
) -> int:
    """``codes``: (code, outcome, posting, status); ``rows``: (seq, code) per line that
    has an outcome."""
    fill_temporary_table(connection, CODES, CODE_COLUMNS, list(codes))
    count = fill_temporary_table(connection, DECISIONS, DECISION_COLUMNS, rows)
    analyse(connection, CODES, DECISIONS)
    return count


def drop_staged(connection: sa.Connection) -> None:
    for table in (LINES, REASONS, MATCHES, DECISIONS, CODES, EXCEPTIONS, BATCH_ACCOUNTS):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
