"""Approving a batch (maker-checker by the county's amount bands) and its accrual;
voiding a batch that was not exported (the accrual reversed)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ledger import accounts, checkers, deductions
from ledger.batches import (
    BatchKind,
    BatchState,
    check_approval,
    check_void,
)
from ledger.db import approvals_store, batch_rows_store
from ledger.db import batches_store as store
from ledger.db.accounts_store import open_accounts, open_payables
from ledger.db.events import record_event
from ledger.db.journal_reversal import reverse
from ledger.db.journal_store import post
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.journal import NewTransaction, PostingColumns
from ledger.money import format_yuan
from ledger.operators import name_key
from ledger.payments.moments import now_utc


@dataclass(frozen=True)
class ApprovalResult:
    batch_id: int
    approver: str
    approvals: int  # recorded so far, this one included
    required: int
    other_department: bool
    approved: bool  # the rule is met: the batch is approved
    accrual_transaction_id: int | None
    missing: str  # what the rule still needs ("" when approved)


def approve(
    uow: UnitOfWork,
    batch_id: int,
    *,
    operator: str,
    today: date | None = None,
    now: datetime | None = None,
) -> int | None:
    """Record an approval (``record_approval``); return the accrual transaction id when
    it approved the batch (None for a supplementary batch, or while approvals are
    still missing)."""
    result = record_approval(uow, batch_id, operator=operator, today=today, now=now)
    return result.accrual_transaction_id


def record_approval(
    uow: UnitOfWork,
    batch_id: int,
    *,
    operator: str,
    today: date | None = None,
    now: datetime | None = None,
) -> ApprovalResult:
    """Record one checker's approval of a draft (never its maker's, never twice by one
    checker); when the approvals meet the batch's rule (county.toml ``[approval]``,
    fixed on the batch when it was run), approve it and post its accrual."""
    connection = uow.connection
    store.lock_batches(connection)
    batch = store.load_batch(connection, batch_id, lock=True)
    key = name_key(operator)
    maker_key = batch.created_by_key or name_key(batch.created_by)
    check_approval(batch.state, maker_key, key, batch.created_by, batch_id)
    previous = approvals_store.approvals(connection, batch_id)
    checker = checkers.checker(connection, operator, previous, f"batch {batch_id}")
    moment = now_utc(now)
    approvals_store.insert(
        connection,
        batch_id,
        operator=checker.name,
        key=key,
        department=checker.department or None,
        now=moment,
    )
    count, required = len(previous) + 1, int(batch.approvals_required)
    other = bool(batch.approvals_other_department)
    missing = checkers.still_missing(
        connection,
        previous,
        checker,
        maker_key=maker_key,
        required=required,
        other_department=other,
    )
    record_event(
        connection,
        operator=checker.name,
        action="batch.approval_recorded",
        subject_type="batch",
        subject_id=batch_id,
        detail={"approval": count, "required": required, "other_department": other},
    )
    accrual_id = None
    if not missing:
        # Held payments are not accrued; a supplementary batch accrues only held ones.
        accrual_id = _post_accrual(connection, batch, checker.name, today or date.today())
        store.set_state(
            connection,
            batch_id,
            state=BatchState.APPROVED.value,
            approved_by=checker.name,
            approved_at=moment,
            accrual_transaction_id=accrual_id,
        )
        record_event(
            connection,
            operator=checker.name,
            action="batch.approved",
            subject_type="batch",
            subject_id=batch_id,
            detail={
                "accrual_transaction_id": accrual_id,
                "created_by": batch.created_by,
                "approvals": [a.operator for a in previous] + [checker.name],
            },
        )
    uow.commit()
    return ApprovalResult(
        batch_id=batch_id,
        approver=checker.name,
        approvals=count,
        required=required,
        other_department=other,
        approved=not missing,
        accrual_transaction_id=accrual_id,
        missing=" and ".join(missing),
    )


def _post_accrual(connection: sa.Connection, batch: Any, operator: str, day: date) -> int | None:
    ids, keys, townships, amounts = batch_rows_store.accrual_columns(
        connection, int(batch.id), only_not_accrued=batch.kind == BatchKind.SUPPLEMENTARY
    )
    if not ids:
        return None
    program = batch.program
    # 扣减: the payable is accrued gross; the deductions settle part of it.
    amounts, extra_names, extra_fen, extra_ids = deductions.accrual_postings(
        connection, int(batch.id), ids, amounts
    )
    by_township: dict[str, int] = {}
    for township, amount in zip(townships, amounts, strict=True):
        by_township[township] = by_township.get(township, 0) + amount
    expense_names = [accounts.assistance(program, t) for t in sorted(by_township)]
    payable_names = [accounts.payable(program, key) for key in keys]
    open_accounts(connection, expense_names)
    open_payables(connection, program, int(batch.id))
    postings = PostingColumns(
        accounts=expense_names + payable_names + extra_names,
        amounts_fen=[by_township[t] for t in sorted(by_township)]
        + [-a for a in amounts]
        + extra_fen,
        instruction_ids=[None] * len(expense_names) + list(ids) + extra_ids,
    )
    recorded = post(
        connection,
        NewTransaction(
            type="accrual",
            effective_date=day,
            description=(
                f"accrual of batch {batch.id}: {batch.period} {program} {batch.bank}, "
                f"{len(ids)} entitlements, {format_yuan(sum(amounts))} yuan"
            ),
            operator=operator,
            postings=postings,
            idempotency_key=f"batch:{batch.id}:accrual",
        ),
    )
    return recorded.id


def void(
    uow: UnitOfWork,
    batch_id: int,
    *,
    operator: str,
    reason: str,
    today: date | None = None,
    now: datetime | None = None,
) -> int | None:
    """Void a draft or approved batch (never an exported one): reverse its accrual,
    withdraw its instructions, release its entitlements. Returns the reversal's id."""
    connection = uow.connection
    store.lock_batches(connection)
    batch = store.load_batch(connection, batch_id, lock=True)
    check_void(batch.state, batch_id)
    if not reason.strip():
        raise LedgerError("say why the batch is voided (--reason)")
    reversal_id = None
    if batch.accrual_transaction_id is not None:
        reversal_id = reverse(
            connection,
            int(batch.accrual_transaction_id),
            operator=operator,
            effective_date=today or date.today(),
            reason=f"batch {batch_id} voided: {reason}",
            idempotency_key=f"batch:{batch_id}:void",
        ).id
    store.void_instructions(connection, batch_id)
    store.set_state(
        connection,
        batch_id,
        state=BatchState.VOIDED.value,
        voided_by=operator,
        voided_at=now_utc(now),
        void_reason=reason,
        void_transaction_id=reversal_id,
    )
    record_event(
        connection,
        operator=operator,
        action="batch.voided",
        subject_type="batch",
        subject_id=batch_id,
        detail={"reason": reason, "previous_state": batch.state, "reversal": reversal_id},
    )
    uow.commit()
    return reversal_id
