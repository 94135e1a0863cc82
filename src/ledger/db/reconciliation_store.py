"""The SQL behind reconciliation: staged lines, matching by joins, bulk writes.

A return file's lines are staged in a temporary table; matching is three joins
(EndToEndId; batch and line number; account, amount and name when unique); outcomes,
exceptions and the new instruction statuses are written with ``INSERT ... SELECT`` and
one ``UPDATE ... FROM``. No row travels through Python more than once. Nothing here
commits or decides policy: ``ledger.reconciliation`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.db.bulk import copy_rows, fetch_all, fill_temporary_table
from ledger.db.schema import reconciliation_exceptions, return_files
from ledger.db.schema.base import Timestamp

LINES = "ledger_recon_lines"
MATCHES = "ledger_recon_matches"
SETTLED = "ledger_recon_settled"
FAILED = "ledger_recon_failed"

LINE_COLUMNS = [
    ("seq", "BIGINT"),
    ("end_to_end_id", "VARCHAR(35)"),
    ("sequence", "BIGINT"),
    ("account", "VARCHAR(40)"),
    ("holder_name", "VARCHAR(64)"),
    ("amount_fen", "BIGINT"),
]


def find_file(connection: sa.Connection, sha256: str) -> sa.Row[Any] | None:
    return connection.execute(
        sa.select(return_files).where(return_files.c.file_sha256 == sha256)
    ).first()


def stage_lines(connection: sa.Connection, rows: Iterable[tuple[Any, ...]]) -> int:
    count = fill_temporary_table(connection, LINES, LINE_COLUMNS, rows)
    connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {LINES}_e2e ON {LINES} (end_to_end_id)")
    _analyse(connection, LINES)
    return count


def _analyse(connection: sa.Connection, table: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {table}")


def match_lines(connection: sa.Connection, batch_id: int | None) -> None:
    """Fill MATCHES (seq, instruction_id): by EndToEndId when the line has one; else by
    (batch, line number) when the batch is known; else by (account, amount, name) when
    exactly one instruction of an exported batch has them."""
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {MATCHES} (seq BIGINT, instruction_id BIGINT)"
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


MATCHED_COLUMNS = (
    "seq",
    "instruction_id",
    "status",
    "amount_fen",
    "account_number",
    "batch_id",
    "recipient_key",
)


def matched_instructions(connection: sa.Connection) -> list[tuple[Any, ...]]:
    """The instruction each matched line names, ``MATCHED_COLUMNS`` per row."""
    return fetch_all(
        connection,
        "SELECT m.seq, i.id, i.status, i.amount_fen, i.account_number, i.batch_id, r.key"
        f" FROM {MATCHES} m JOIN payment_instructions i ON i.id = m.instruction_id"
        " JOIN recipients r ON r.id = i.recipient_id",
    )


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
    result = connection.execute(return_files.insert().values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def db_time(connection: sa.Connection, moment: datetime) -> Any:
    """A timestamp as the driver takes it for a ``Timestamp`` column (raw bulk writes)."""
    process = Timestamp.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return process(moment) if process is not None else moment


OUTCOME_COLUMNS = (
    "instruction_id",
    "return_file_id",
    "line",
    "element",
    "outcome",
    "reason_code",
    "reason_text",
    "amount_fen",
    "transaction_id",
    "recorded_at",
)
EXCEPTION_COLUMNS = (
    "return_file_id",
    "line",
    "element",
    "kind",
    "end_to_end_id",
    "instruction_id",
    "batch_id",
    "account_number",
    "holder_name",
    "amount_fen",
    "detail",
    "created_at",
)


def write_outcomes(connection: sa.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Append outcome rows (``OUTCOME_COLUMNS``): COPY on PostgreSQL, executemany on SQLite."""
    copy_rows(connection, "instruction_outcomes", OUTCOME_COLUMNS, rows)


def write_exceptions(connection: sa.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    copy_rows(connection, "reconciliation_exceptions", EXCEPTION_COLUMNS, rows)


def insert_exceptions(connection: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        connection.execute(reconciliation_exceptions.insert(), list(rows))


def update_statuses(
    connection: sa.Connection,
    settled: Sequence[int],
    failed: Iterable[tuple[int, str, str | None]],
    now: datetime,
) -> None:
    """Settled instructions (ids), and failed ones with their reason (id, code, text):
    two set-based UPDATEs from staged ids."""
    stamp = {"now": now}
    if settled:
        fill_temporary_table(
            connection, SETTLED, [("instruction_id", "BIGINT PRIMARY KEY")], ((i,) for i in settled)
        )
        connection.execute(
            sa.text(
                "UPDATE payment_instructions SET status = 'settled', settled_at = :now"
                f" WHERE id IN (SELECT instruction_id FROM {SETTLED})"
            ).bindparams(sa.bindparam("now", type_=Timestamp)),
            stamp,
        )
    count = fill_temporary_table(
        connection,
        FAILED,
        [("instruction_id", "BIGINT PRIMARY KEY"), ("reason_code", "VARCHAR(8)"),
         ("reason_text", "TEXT")],
        failed,
    )  # fmt: skip
    if count:
        connection.execute(
            sa.text(
                "UPDATE payment_instructions SET status = 'failed', failed_at = :now,"
                " reason_code = f.reason_code, reason_text = f.reason_text"
                f" FROM {FAILED} f WHERE f.instruction_id = payment_instructions.id"
            ).bindparams(sa.bindparam("now", type_=Timestamp)),
            stamp,
        )


def drop_staged(connection: sa.Connection) -> None:
    for table in (LINES, MATCHES, SETTLED, FAILED):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


# --- batches: counts, clearing, state ----------------------------------------------

STATUS_KINDS = ("settled", "failed", "pending", "cancelled", "reissued")


def batch_summaries(
    connection: sa.Connection, batch_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Per exported batch: counts and amounts per instruction status, and the batch's
    clearing balance (its funding, less what each instruction's outcome cleared)."""
    where = ""
    if batch_ids is not None:
        if not batch_ids:
            return []
        where = f" AND b.id IN ({', '.join(str(int(b)) for b in batch_ids)})"
    sums = ", ".join(
        f"SUM(CASE WHEN i.status = '{s}' THEN 1 ELSE 0 END) AS {s}_count,"
        f" SUM(CASE WHEN i.status = '{s}' THEN i.amount_fen ELSE 0 END) AS {s}_fen"
        for s in STATUS_KINDS
    )
    rows = connection.execute(
        sa.text(
            "SELECT b.id, b.period, b.program, b.bank, b.kind, b.state,"
            " b.instruction_count, b.amount_fen_total, b.file_name, b.profile,"
            f" {sums} FROM batches b JOIN payment_instructions i ON i.batch_id = b.id"
            " WHERE b.state IN ('exported', 'partially_reconciled', 'reconciled', 'closed')"
            + where
            + " GROUP BY b.id, b.period, b.program, b.bank, b.kind, b.state,"
            " b.instruction_count, b.amount_fen_total, b.file_name, b.profile ORDER BY b.id"
        )
    ).mappings()
    summaries = [dict(r) for r in rows]
    clearing = batch_clearing(connection, [int(s["id"]) for s in summaries])
    for s in summaries:
        s["clearing_fen"] = clearing.get(int(s["id"]), 0)
        for kind in STATUS_KINDS:
            s[f"{kind}_count"] = int(s[f"{kind}_count"] or 0)
            s[f"{kind}_fen"] = int(s[f"{kind}_fen"] or 0)
    return summaries


_CLEARING = "Assets:BankClearing:%"


def batch_clearing(connection: sa.Connection, batch_ids: Sequence[int]) -> dict[int, int]:
    """The clearing balance of each batch: its funding posting on the bank's clearing
    account plus the clearing postings that name one of its instructions."""
    if not batch_ids:
        return {}
    ids = ", ".join(str(int(b)) for b in batch_ids)
    clearing = [
        int(a)
        for (a,) in fetch_all(connection, "SELECT id FROM accounts WHERE name LIKE ?", (_CLEARING,))
    ]
    if not clearing:
        return {int(b): 0 for b in batch_ids}
    accounts_in = ", ".join(str(a) for a in clearing)
    funded = fetch_all(
        connection,
        "SELECT b.id, COALESCE(SUM(p.amount_fen), 0) FROM batches b"
        " JOIN postings p ON p.transaction_id = b.funding_transaction_id"
        f" WHERE b.id IN ({ids}) AND p.account_id IN ({accounts_in}) GROUP BY b.id",
    )
    cleared = fetch_all(
        connection,
        "SELECT i.batch_id, COALESCE(SUM(p.amount_fen), 0) FROM payment_instructions i"
        " JOIN postings p ON p.instruction_id = i.id"
        f" WHERE i.batch_id IN ({ids}) AND p.account_id IN ({accounts_in}) GROUP BY i.batch_id",
    )
    out = {int(b): int(v) for b, v in funded}
    for b, v in cleared:
        out[int(b)] = out.get(int(b), 0) + int(v)
    return out


def pending_counts(connection: sa.Connection, batch_ids: Sequence[int]) -> dict[int, int]:
    if not batch_ids:
        return {}
    ids = ", ".join(str(int(b)) for b in batch_ids)
    return {
        int(b): int(n)
        for b, n in fetch_all(
            connection,
            "SELECT batch_id, SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END)"
            f" FROM payment_instructions WHERE batch_id IN ({ids}) GROUP BY batch_id",
        )
    }
