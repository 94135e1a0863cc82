"""Closing a failed payment that will not be paid (cancel), and the per-batch status.

``cancel`` posts Dr ``Liabilities:Payable:{p}:{r}`` / Cr ``Expenses:Assistance:{p}:{t}``
in one transaction with an ``instruction.cancelled`` event; ``status`` reads the
per-batch counts, amounts and clearing balance (``reconciliation_store``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from ledger import accounts, households
from ledger.batches import InstructionStatus
from ledger.db import batches_store
from ledger.db import reconciliation_status as status_reads
from ledger.db.events import record_event
from ledger.db.journal_store import post
from ledger.db.schema import payment_instructions, recipients
from ledger.db.state_digest import scope_name
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.journal import NewTransaction, PostingColumns


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Cancelled:
    instruction_id: int
    end_to_end_id: str
    batch_id: int
    amount_fen: int
    transaction_id: int


def find_instruction(connection: sa.Connection, reference: str) -> Any:
    """An instruction by id or EndToEndId."""
    pi = payment_instructions
    query = sa.select(pi, recipients.c.key.label("recipient_key")).join(
        recipients, recipients.c.id == pi.c.recipient_id
    )
    text = reference.strip()
    row = connection.execute(query.where(pi.c.end_to_end_id == text)).first()
    if row is None and text.isdigit() and len(text) < 18:
        row = connection.execute(query.where(pi.c.id == int(text))).first()
    if row is None:
        raise LedgerError(f"no payment instruction {reference!r} (give its id or EndToEndId)")
    return row


def cancel(
    uow: UnitOfWork,
    reference: str,
    *,
    operator: str,
    reason: str,
    today: date | None = None,
    now: datetime | None = None,
) -> Cancelled:
    """Cancel a failed instruction's entitlement (e.g. the recipient died): the payable
    is closed against the assistance expense and nothing more will be paid for it."""
    if not reason.strip():
        raise LedgerError("say why the payment is cancelled (--reason)")
    connection = uow.connection
    batches_store.lock_batches(connection)
    row = find_instruction(connection, reference)
    if row.status != InstructionStatus.FAILED:
        hint = {
            "pending": "its outcome is unknown: wait for the bank (cancelling could pay twice)",
            "settled": "it was paid; an improper payment is recovered, not cancelled",
            "reissued": "it was re-issued: cancel the re-issued instruction instead",
            "cancelled": "it is already cancelled",
            "voided": "its batch was voided",
        }.get(str(row.status), "")
        raise LedgerError(
            f"instruction {row.id} ({row.end_to_end_id}) is {row.status}: only a failed "
            f"instruction can be cancelled; {hint}"
        )
    batch = batches_store.load_batch(connection, int(row.batch_id))
    moment = _now(now)
    amount = int(row.amount_fen)
    payable = accounts.payable(batch.program, row.recipient_key)
    expense = accounts.assistance(batch.program, row.township)
    transaction_id = post(
        connection,
        NewTransaction(
            type="cancellation",
            effective_date=today or date.today(),
            description=(
                f"cancellation of instruction {row.id} ({row.end_to_end_id}, batch "
                f"{batch.id}, {batch.period} {batch.program}): {reason}"
            ),
            operator=operator,
            postings=PostingColumns([payable, expense], [amount, -amount], [row.id, row.id]),
            idempotency_key=f"instruction:{row.id}:cancel",
        ),
    ).id
    connection.execute(
        payment_instructions.update()
        .where(payment_instructions.c.id == row.id)
        .values(status=InstructionStatus.CANCELLED.value, cancelled_at=moment)
    )
    connection.execute(
        sa.text("UPDATE entitlements SET status = 'cancelled' WHERE id = :e AND status = 'open'"),
        {"e": int(row.entitlement_id)},
    )
    # A household payment (ledger.households): every member's entitlement with it.
    households.cancel_members(connection, int(row.entitlement_id))
    record_event(
        connection,
        operator=operator,
        action="instruction.cancelled",
        subject_type="payment_instruction",
        subject_id=int(row.id),
        scopes=[scope_name("batch", int(batch.id))],
        detail={
            "reason": reason,
            "end_to_end_id": row.end_to_end_id,
            "batch": int(batch.id),
            "amount_fen": amount,
            "transaction_id": transaction_id,
            "bank_reason_code": row.reason_code,
        },
    )
    uow.commit()
    return Cancelled(int(row.id), row.end_to_end_id, int(batch.id), amount, transaction_id)


def status(connection: sa.Connection, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Per exported batch: counts and amounts per status and the clearing balance."""
    if batch_id is not None:
        batches_store.load_batch(connection, batch_id)  # refuses an unknown batch
    return status_reads.batch_summaries(connection, None if batch_id is None else [batch_id])
