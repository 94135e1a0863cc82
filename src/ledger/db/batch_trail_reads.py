"""Read-side queries for auditors: one batch's trail (its row, audit events, status
counts, return files with their outcome counts as kept at import, clearing lines and,
when asked, its instructions), for `ledger audit trail` and the console's batch page."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledger import accounts as chart
from ledger.db.audit_reads import Rows, rows_of
from ledger.db.read_columns import INSTRUCTION_LINE, totals
from ledger.db.schema import (
    accounts,
    audit_events,
    batches,
    payment_instructions,
    postings,
    recipients,
    return_files,
    return_outcome_counts,
    transactions,
)
from ledger.errors import LedgerError


@dataclass
class RawBatchTrail:
    batch: dict[str, Any]
    events: Rows
    status_counts: Rows
    return_files: Rows
    clearing: Rows
    instructions: Rows


def load_batch_trail(
    connection: sa.Connection, batch_id: int, *, with_instructions: bool
) -> RawBatchTrail:
    row = connection.execute(sa.select(batches).where(batches.c.id == batch_id)).first()
    if row is None:
        raise LedgerError(f"batch {batch_id} does not exist (see `ledger batch list`)")
    i, f = payment_instructions, return_files
    events = rows_of(
        connection,
        sa.select(
            audit_events.c.occurred_at,
            audit_events.c.operator,
            audit_events.c.action,
            audit_events.c.detail,
        )
        .where(audit_events.c.subject_type == "batch")
        .where(audit_events.c.subject_id == str(batch_id))
        .order_by(audit_events.c.occurred_at, audit_events.c.id),
    )
    status_counts = rows_of(
        connection, totals((i.c.status, i.c.reason_code), i.c.amount_fen, i.c.batch_id == batch_id)
    )
    # The return files' outcomes for this batch, from the counts kept at each import
    # (a few rows per file) rather than summed over the batch's outcomes.
    k = return_outcome_counts

    def lines_of(outcome: str) -> Any:
        return sa.func.sum(sa.case((k.c.outcome == outcome, k.c.lines), else_=0)).label(outcome)

    files = rows_of(
        connection,
        sa.select(
            f.c.id,
            f.c.file_name,
            f.c.file_sha256,
            f.c.format,
            f.c.imported_by,
            f.c.imported_at,
            sa.func.sum(k.c.lines).label("lines"),
            *(lines_of(o) for o in ("settled", "failed", "pending", "returned")),
        )
        .select_from(k)
        .join(f, f.c.id == k.c.return_file_id)
        .where(k.c.batch_id == batch_id)
        .group_by(
            f.c.id, f.c.file_name, f.c.file_sha256, f.c.format, f.c.imported_by, f.c.imported_at
        )
        .order_by(f.c.imported_at, f.c.id),
    )
    clearing = _clearing_lines(connection, row, batch_id)
    instructions: Rows = []
    if with_instructions:
        instructions = rows_of(
            connection,
            sa.select(
                *INSTRUCTION_LINE,
                i.c.village,
                i.c.amount_fen,
                i.c.bank,
                i.c.account_number,
                i.c.account_holder,
                i.c.id_number,
                i.c.attempt,
                i.c.reissue_of,
                i.c.status,
                i.c.reason_code,
                i.c.reason_text,
                i.c.settled_at,
                i.c.failed_at,
                i.c.cancelled_at,
            )
            .join(recipients, recipients.c.id == i.c.recipient_id)
            .where(i.c.batch_id == batch_id)
            .order_by(i.c.line_number),
        )
    return RawBatchTrail(
        batch=dict(row._mapping),
        events=events,
        status_counts=status_counts,
        return_files=files,
        clearing=clearing,
        instructions=instructions,
    )


def _clearing_lines(connection: sa.Connection, batch: Any, batch_id: int) -> Rows:
    """BankClearing movements for the batch, per transaction: the funding entry (its
    clearing postings name no instruction) and every clearing posting that names one of
    the batch's instructions (payments confirmed, failures, returns)."""
    a, p, t, i = accounts, postings, transactions, payment_instructions
    name = chart.bank_clearing(str(batch.bank))
    account_id = connection.execute(sa.select(a.c.id).where(a.c.name == name)).scalar()
    if account_id is None:
        return []
    columns = (
        t.c.id.label("transaction_id"),
        t.c.effective_date,
        t.c.type,
        t.c.operator,
        sa.func.count().label("postings"),
        sa.func.sum(p.c.amount_fen).label("amount_fen"),
    )
    group = (t.c.id, t.c.effective_date, t.c.type, t.c.operator)
    out: Rows = []
    if batch.funding_transaction_id is not None:
        out += rows_of(
            connection,
            sa.select(*columns)
            .select_from(p)
            .join(t, t.c.id == p.c.transaction_id)
            .where(p.c.transaction_id == int(batch.funding_transaction_id))
            .where(p.c.account_id == account_id)
            .where(p.c.instruction_id.is_(None))
            .group_by(*group),
        )
    out += rows_of(
        connection,
        sa.select(*columns)
        .select_from(i)
        .join(p, p.c.instruction_id == i.c.id)
        .join(t, t.c.id == p.c.transaction_id)
        .where(i.c.batch_id == batch_id)
        .where(p.c.account_id == account_id)
        .group_by(*group)
        .order_by(t.c.id),
    )
    return sorted(out, key=lambda r: int(r["transaction_id"]))
