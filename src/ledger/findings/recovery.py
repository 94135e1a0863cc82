"""Recovering misappropriated money (追缴): a finding's recovery due (``recover``: the
receivable) and money received against it (``receive_recovery``: back to the treasury,
and to the allocations the payment was drawn from)."""

from datetime import date, datetime

import sqlalchemy as sa

from ledger import accounts
from ledger.county import County
from ledger.db import findings_store as store
from ledger.db import fund_lineage
from ledger.db.accounts_store import open_accounts
from ledger.db.events import record_event
from ledger.db.journal_store import post
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.journal import transfer
from ledger.money import format_yuan
from ledger.payments.moments import now_utc


def recover(
    uow: UnitOfWork,
    finding_id: int,
    *,
    amount_fen: int,
    operator: str,
    day: date | None = None,
    now: datetime | None = None,
) -> int:
    """Post the recovery receivable for a finding: Dr Assets:Receivable:Recovery:{r} /
    Cr Expenses:Assistance:{p}:{township}; return the transaction id."""
    connection = uow.connection
    row = store.load(connection, finding_id, lock=True)
    problems = []
    if row.recipient_key is None or row.program is None or row.township is None:
        problems.append(
            f"finding {finding_id} ({row.rule}) names no recipient, program and township: "
            "there is no one to recover from"
        )
    if amount_fen <= 0:
        problems.append("--amount: must be more than 0")
    left = int(row.amount_fen) - int(row.recovered_fen)
    if amount_fen > left:
        problems.append(
            f"--amount: {format_yuan(amount_fen)} is more than the amount at risk not yet "
            f"recovered ({format_yuan(left)})"
        )
    if row.status == "dismissed":
        problems.append(f"finding {finding_id} is dismissed")
    if problems:
        raise ValidationError("the recovery was refused:", problems)
    receivable = accounts.recovery_receivable(row.recipient_key)
    expense = accounts.assistance(row.program, row.township)
    open_accounts(connection, [receivable, expense])
    count = connection.execute(
        sa.text(
            "SELECT COUNT(*) FROM finding_events WHERE finding_id = :f"
            " AND action = 'recovery_posted'"
        ),
        {"f": finding_id},
    ).scalar_one()
    moment = now_utc(now)
    description = (
        f"recovery receivable for finding {finding_id} ({row.rule} {row.period}): "
        f"{format_yuan(amount_fen)} yuan"
    )
    recorded = post(
        connection,
        transfer(
            "recovery",
            day or moment.date(),
            description,
            operator,
            debit=receivable,
            credit=expense,
            amount_fen=amount_fen,
            idempotency_key=f"finding:{finding_id}:recovery:{int(count) + 1}",
        ),
    )
    store.update(connection, finding_id, recovered_fen=int(row.recovered_fen) + amount_fen)
    store.add_event(
        connection,
        finding_id,
        operator=operator,
        action="recovery_posted",
        now=moment,
        note=f"{format_yuan(amount_fen)} yuan to {receivable}",
        transaction_id=recorded.id,
    )
    uow.commit()
    return recorded.id


def receive_recovery(
    uow: UnitOfWork,
    county: County,
    *,
    recipient_key: str,
    program: str,
    amount_fen: int,
    operator: str,
    day: date,
    finding_id: int | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    """Recovered money arrives: Dr Assets:Treasury:{p} / Cr Assets:Receivable:Recovery:{r}."""
    connection = uow.connection
    problems = []
    if program not in county.programs:
        problems.append(f"--program: unknown program {program!r}")
    if amount_fen <= 0:
        problems.append("--amount: must be more than 0")
    if finding_id is not None:
        row = store.load(connection, finding_id, lock=True)
        if row.recipient_key != recipient_key:
            problems.append(f"--finding: finding {finding_id} is not about {recipient_key}")
    if problems:
        raise ValidationError("the recovery was refused:", problems)
    receivable = accounts.recovery_receivable(recipient_key)
    treasury = accounts.treasury(program)
    exists = connection.execute(
        sa.text("SELECT COUNT(*) FROM accounts WHERE name = :n"), {"n": receivable}
    ).scalar_one()
    if not exists:
        raise LedgerError(f"{recipient_key} owes nothing: {receivable} was never opened")
    open_accounts(
        connection,
        [treasury],
        treasury_negative_programs=[
            p.code for p in county.programs.values() if p.treasury_may_go_negative
        ],
    )
    moment = now_utc(now)
    description = (
        f"recovered from {recipient_key} for {program}: {format_yuan(amount_fen)} yuan"
        + (f" (finding {finding_id})" if finding_id else "")
        + (f"; {note}" if note else "")
    )
    recorded = post(
        connection,
        transfer(
            "recovery_received",
            day,
            description,
            operator,
            debit=treasury,
            credit=receivable,
            amount_fen=amount_fen,
        ),
    )
    # Back to the sources the recipient's payments drew on (docs/ledger.md).
    fund_lineage.give_back_recovery(
        connection,
        recorded.id,
        program=program,
        recipient_key=recipient_key,
        amount_fen=amount_fen,
    )
    if finding_id is not None:
        store.add_event(
            connection,
            finding_id,
            operator=operator,
            action="recovery_received",
            now=moment,
            note=f"{format_yuan(amount_fen)} yuan received into {treasury}",
            transaction_id=recorded.id,
        )
    record_event(
        connection,
        operator=operator,
        action="recovery.received",
        subject_type="account",
        subject_id=receivable,
        detail={"amount_fen": amount_fen, "transaction_id": recorded.id, "finding": finding_id},
    )
    uow.commit()
    return recorded.id
