"""Closing what cannot be undone by the rule: recovery, write-off, escalation.

A payment made after death (M01) stays made: the rule sees it for ever, so ``verify``
alone could never close it. Such a finding closes when its money is settled: every
fen of the amount at risk either came back (``funds receive-recovery --finding``) or
was written off with approval. A write-off is proposed by a finance maker
(``findings write-off``) and approved by a finance checker who is not the proposer
(``findings approve-write-off``); the approval reverses the part of the recovery
receivable that will not be collected (Dr Expenses:Assistance:{p}:{t} / Cr
Assets:Receivable:Recovery:{r}). Overdue rectifications are escalated: an
``escalated`` event per finding and due date (``findings escalate``).
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ledger import accounts
from ledger.db import finding_cases
from ledger.db import findings_store as store
from ledger.db.events import record_event
from ledger.db.journal_store import post
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.journal import transfer
from ledger.money import format_yuan
from ledger.operators import name_key

# Rules whose finding is closed by settling its money, not by the condition going away.
CLOSED_BY_RECOVERY = ("M01",)
_CLOSED = ("verified", "dismissed")


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def record_change(
    connection: sa.Connection,
    finding_id: int,
    action: str,
    *,
    operator: str,
    now: datetime,
    note: str | None,
    detail: dict[str, Any],
    values: dict[str, object] | None = None,
    transaction_id: int | None = None,
) -> None:
    """Record a change of a finding: its event, its new values, the audit event
    ``finding.{action}``. The event first: the database moves a finding's status only
    with the event that records the move (migrations/sql/*/0016_frozen_decisions.sql)."""
    store.add_event(
        connection,
        finding_id,
        operator=operator,
        action=action,
        now=now,
        note=note,
        transaction_id=transaction_id,
    )
    if values:
        store.update(connection, finding_id, **values)
    record_event(
        connection,
        operator=operator,
        action=f"finding.{action}",
        subject_type="finding",
        subject_id=finding_id,
        detail=detail,
    )


def outstanding_fen(connection: sa.Connection, row: Any) -> tuple[int, int]:
    """(neither received nor written off, received) of a finding, in fen."""
    received = finding_cases.received_fen(connection, int(row.id))
    left = int(row.amount_fen) - received - int(row.written_off_fen)
    return max(left, 0), received


def settled_note(connection: sa.Connection, row: Any) -> str | None:
    """None when the finding's money is settled; else why it is not (for ``verify``)."""
    left, received = outstanding_fen(connection, row)
    if row.write_off_pending_fen is not None:
        return (
            f"a write-off of {format_yuan(int(row.write_off_pending_fen))} yuan awaits a "
            "checker's approval (findings approve-write-off)"
        )
    if left:
        return (
            f"{format_yuan(left)} of {format_yuan(int(row.amount_fen))} yuan neither "
            f"recovered nor written off ({format_yuan(received)} received, "
            f"{format_yuan(int(row.written_off_fen))} written off)"
        )
    return None


def propose_write_off(
    uow: UnitOfWork,
    finding_id: int,
    *,
    amount_fen: int,
    reason: str,
    operator: str,
    now: datetime | None = None,
) -> None:
    """Propose writing off money of a finding that will not come back (a checker
    approves it)."""
    connection = uow.connection
    row = store.load(connection, finding_id, lock=True)
    left, _ = outstanding_fen(connection, row)
    problems = []
    if row.status in _CLOSED:
        problems.append(f"finding {finding_id} is {row.status}")
    if row.write_off_pending_fen is not None:
        problems.append(
            f"finding {finding_id} already has a write-off of "
            f"{format_yuan(int(row.write_off_pending_fen))} yuan awaiting approval"
        )
    if amount_fen <= 0:
        problems.append("--amount: must be more than 0")
    elif amount_fen > left:
        problems.append(
            f"--amount: {format_yuan(amount_fen)} is more than the amount neither recovered "
            f"nor written off ({format_yuan(left)})"
        )
    if not reason.strip():
        problems.append("--reason: say why the money cannot be recovered")
    if problems:
        raise ValidationError("the write-off was refused:", problems)
    moment = _now(now)
    store.update(
        connection,
        finding_id,
        write_off_pending_fen=amount_fen,
        write_off_proposer=operator,
        write_off_reason=reason.strip(),
    )
    record_change(
        connection,
        finding_id,
        "write_off_proposed",
        operator=operator,
        now=moment,
        note=f"{format_yuan(amount_fen)} yuan: {reason.strip()}",
        detail={"amount_fen": amount_fen, "reason": reason.strip()},
    )
    uow.commit()


def approve_write_off(
    uow: UnitOfWork, finding_id: int, *, operator: str, now: datetime | None = None
) -> int | None:
    """Approve the pending write-off; return the transaction reversing the uncollected
    receivable (None when no receivable was posted for it)."""
    connection = uow.connection
    row = store.load(connection, finding_id, lock=True)
    if row.write_off_pending_fen is None:
        raise LedgerError(f"finding {finding_id} has no write-off awaiting approval")
    if name_key(operator) == name_key(row.write_off_proposer or ""):
        raise LedgerError(
            f"operator {operator!r} proposed this write-off: another finance_checker "
            "must approve it (maker-checker)"
        )
    amount = int(row.write_off_pending_fen)
    received = finding_cases.received_fen(connection, finding_id)
    uncollected = max(int(row.recovered_fen) - received - int(row.written_off_fen), 0)
    reverse = min(amount, uncollected)
    moment = _now(now)
    transaction_id = None
    if reverse:
        receivable = accounts.recovery_receivable(row.recipient_key)
        expense = accounts.assistance(row.program, row.township)
        description = (
            f"write-off for finding {finding_id} ({row.rule} {row.period}): "
            f"{format_yuan(reverse)} yuan of the recovery receivable will not be "
            f"collected; proposed by {row.write_off_proposer}: {row.write_off_reason}"
        )
        transaction_id = post(
            connection,
            transfer(
                "recovery_write_off",
                moment.date(),
                description,
                operator,
                debit=expense,
                credit=receivable,
                amount_fen=reverse,
                idempotency_key=f"finding:{finding_id}:write-off:{int(row.written_off_fen)}",
            ),
        ).id
    store.update(
        connection,
        finding_id,
        written_off_fen=int(row.written_off_fen) + amount,
        write_off_pending_fen=None,
        write_off_proposer=None,
        write_off_reason=None,
    )
    record_change(
        connection,
        finding_id,
        "write_off_approved",
        operator=operator,
        now=moment,
        note=(
            f"{format_yuan(amount)} yuan written off (proposed by {row.write_off_proposer}:"
            f" {row.write_off_reason})"
        ),
        detail={
            "amount_fen": amount,
            "proposer": row.write_off_proposer,
            "transaction_id": transaction_id,
        },
        transaction_id=transaction_id,
    )
    uow.commit()
    return transaction_id


def escalate(
    uow: UnitOfWork, *, operator: str, today: Any, now: datetime | None = None
) -> tuple[list[dict[str, Any]], list[int]]:
    """Record an escalation for every overdue rectification not yet escalated for its
    due date; return all overdue findings and the ids escalated now."""
    connection = uow.connection
    rows = finding_cases.overdue_findings(connection, today)
    fresh = finding_cases.record_escalations(connection, rows, operator=operator, now=_now(now))
    if fresh:
        record_event(
            connection,
            operator=operator,
            action="findings.escalated",
            subject_type="findings",
            subject_id=str(today),
            detail={"findings": fresh, "as_of": today},
        )
    uow.commit()
    return rows, fresh
