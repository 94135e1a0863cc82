"""``ledger journal``: look at, reverse and close off the journal."""

from datetime import date

import click
import sqlalchemy as sa

from ledger.cli_support import DAY, AppContext, emit, format_option, operator_option, pass_app
from ledger.db import journal_reversal, journal_store, period_checks, periods_store
from ledger.db.checkpoint import event_witness, last_event_of
from ledger.db.events import record_event
from ledger.db.schema import transactions
from ledger.errors import LedgerError
from ledger.money import format_yuan


@click.group()
def journal() -> None:
    """Show transactions, reverse one, close an accounting period."""


@journal.command()
@click.argument("transaction_id", type=int)
@format_option
@pass_app
def show(app: AppContext, transaction_id: int, output_format: str) -> None:
    """Show one transaction with its postings."""
    with app.reader() as uow:
        head = uow.connection.execute(
            sa.select(transactions).where(transactions.c.id == transaction_id)
        ).first()
        if head is None:
            raise LedgerError(f"transaction {transaction_id} does not exist")
        lines = journal_store.load_postings(uow.connection, transaction_id)
    rows = [
        {
            "account": account,
            "amount": format_yuan(amount),
            "amount_fen": amount,
            "instruction_id": instruction,
        }
        for account, amount, instruction in zip(
            lines.accounts, lines.amounts_fen, lines.instruction_column(), strict=True
        )
    ]
    if output_format == "table":
        click.echo(
            f"transaction {head.id}  {head.type}  {head.effective_date}  by {head.operator}\n"
            f"  {head.description}\n  hash {head.hash}\n"
        )
    document = {
        "id": head.id,
        "type": head.type,
        "effective_date": head.effective_date.isoformat(),
        "description": head.description,
        "operator": head.operator,
        "reverses_id": head.reverses_id,
        "recorded_at": head.recorded_at.isoformat(),
        "hash": head.hash,
        "prev_hash": head.prev_hash,
        "postings": rows,
    }
    emit(rows, ["account", "amount", "instruction_id"], output_format, json_document=document)


@journal.command()
@click.argument("transaction_id", type=int)
@click.option("--reason", required=True, help="Why the transaction is reversed.")
@click.option(
    "--date",
    "effective",
    type=DAY,
    default=None,
    help="Effective date of the reversal (default: today).",
)
@operator_option
@pass_app
def reverse(
    app: AppContext, transaction_id: int, reason: str, effective: object, operator: str
) -> None:
    """Reverse a transaction: a new transaction with mirrored postings that names it."""
    day = effective.date() if effective is not None else date.today()  # type: ignore[attr-defined]
    with app.unit_of_work() as uow:
        recorded = journal_reversal.reverse(
            uow.connection, transaction_id, operator=operator, effective_date=day, reason=reason
        )
        uow.commit()
    click.echo(f"Transaction {transaction_id} reversed by transaction {recorded.id}.")


@journal.command("close-period")
@click.argument("period")
@click.option(
    "--force",
    is_flag=True,
    default=False,
    help="Close although the checklist is not empty (needs --reason; both are recorded).",
)
@click.option("--reason", default=None, help="Why the period is closed with open points.")
@operator_option
@pass_app
def close_period(
    app: AppContext, period: str, force: bool, reason: str | None, operator: str
) -> None:
    """Close an accounting period (YYYY-MM): nothing dated in it can be posted after, and
    no new payment batch is run for it.

    First the checklist: draft batches, batches not reconciled, findings neither verified
    nor dismissed. With any open point the close is refused (the list is printed) unless
    --force --reason TEXT; the list and the reason go into the audit event.
    """
    if force and not (reason and reason.strip()):
        raise LedgerError("--force needs --reason TEXT: why the period is closed as it is")
    with app.unit_of_work() as uow:
        items = period_checks.checklist(uow.connection, period)
        if items and not force:
            raise LedgerError(
                f"period {period} has {len(items)} open point(s); settle them, or close "
                "anyway with --force --reason TEXT:\n"
                + "\n".join(f"  - {item.line()}" for item in items)
            )
        periods_store.close_period(uow.connection, period, operator=operator)
        record_event(
            uow.connection,
            operator=operator,
            action="period.closed",
            subject_type="period",
            subject_id=period,
            detail={
                "checklist": {item.code: list(item.ids) for item in items},
                "counts": {item.code: item.count for item in items},
                "forced": bool(items),
                "reason": reason,
            }
            if items or reason
            else None,
        )
        uow.commit()
        # The close's own audit event is the witness: it records the journal head.
        event_id = last_event_of(uow.connection, "period.closed", period)
        witness = event_witness(uow.connection, event_id) if event_id is not None else None
    for item in items:
        click.echo(f"  - {item.line()}")
    click.echo(
        f"Period {period} closed with {len(items)} open point(s) (forced: {reason})."
        if items
        else f"Period {period} closed (checklist: nothing open)."
    )
    if witness is not None:
        journal, events = witness["journal"], witness["events"]
        posted = (
            f"transaction {journal['transaction_id']} {journal['hash']}"
            if journal["transaction_id"] is not None
            else "no transaction yet"
        )
        click.echo(
            f"Chain head at the close: {posted}, audit event {events['event_id']} {events['hash']}."
        )
