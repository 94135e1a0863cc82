"""``ledger audit``: read-only questions auditors ask of the ledger."""

import click

from ledger.cli_support import (
    AppContext,
    as_of_option,
    emit,
    format_option,
    pass_app,
    to_date,
)
from ledger.db.balances import Balance, balances, trial_balance
from ledger.db.verify import verify as verify_journal
from ledger.money import format_yuan


@click.group()
def audit() -> None:
    """Verify the journal, and query balances as of any date."""


@audit.command()
@pass_app
def verify(app: AppContext) -> None:
    """Recompute the hash chain, every transaction's balance and the totals.

    Exits 1 and names the first bad transaction when anything does not match.
    """
    with app.reader() as uow:
        report = verify_journal(uow.connection)
    if report.ok:
        click.echo(
            f"OK: {report.transactions_checked} transactions and "
            f"{report.postings_checked} postings verified; the hash chain is intact."
        )
        return
    for tx, message in report.problems[:50]:
        where = f"transaction {tx}" if tx is not None else "journal"
        click.echo(f"{where}: {message}", err=True)
    if len(report.problems) > 50:
        click.echo(f"... and {len(report.problems) - 50} more problems", err=True)
    first = report.first_bad_transaction
    summary = f"first bad transaction: {first}" if first is not None else "see the problems above"
    raise click.ClickException(f"the journal does not verify ({summary})")


def _balance_rows(items: list[Balance]) -> list[dict[str, object]]:
    return [
        {
            "account": b.account,
            "kind": b.kind,
            "debits": format_yuan(b.debits_fen),
            "credits": format_yuan(-b.credits_fen),
            "balance": format_yuan(b.balance_fen),
            "balance_fen": b.balance_fen,
        }
        for b in items
    ]


@audit.command()
@click.argument("account")
@as_of_option
@format_option
@pass_app
def balance(app: AppContext, account: str, as_of: object, output_format: str) -> None:
    """Balance of ACCOUNT and of every account below it (debit-positive, in yuan)."""
    day = to_date(as_of)
    with app.reader() as uow:
        items = balances(uow.connection, account, as_of=day)
    rows = _balance_rows(items)
    total = sum(b.balance_fen for b in items)
    document = {
        "account": account,
        "as_of": None if day is None else day.isoformat(),
        "total_fen": total,
        "accounts": rows,
    }
    emit(rows, ["account", "debits", "credits", "balance"], output_format, json_document=document)
    if output_format == "table" and len(items) > 1:
        click.echo(f"total {format_yuan(total)} over {len(items)} accounts")


@audit.command("trial-balance")
@as_of_option
@format_option
@pass_app
def trial_balance_command(app: AppContext, as_of: object, output_format: str) -> None:
    """Every account's balance; debits and credits must be equal."""
    day = to_date(as_of)
    with app.reader() as uow:
        items = trial_balance(uow.connection, as_of=day)
    rows = _balance_rows(items)
    debit_total = sum(b.balance_fen for b in items if b.balance_fen > 0)
    credit_total = -sum(b.balance_fen for b in items if b.balance_fen < 0)
    document = {
        "as_of": None if day is None else day.isoformat(),
        "debit_total_fen": debit_total,
        "credit_total_fen": credit_total,
        "balanced": debit_total == credit_total,
        "accounts": rows,
    }
    emit(
        rows,
        ["account", "kind", "debits", "credits", "balance"],
        output_format,
        json_document=document,
    )
    if output_format == "table":
        state = "balanced" if debit_total == credit_total else "NOT BALANCED"
        click.echo(
            f"debit balances {format_yuan(debit_total)}  credit balances "
            f"{format_yuan(credit_total)}  {state}"
        )
