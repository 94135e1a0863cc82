"""``ledger audit``: read-only questions auditors ask of the ledger."""

import os
from datetime import date
from pathlib import Path

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
from ledger.db.journal_queries import account_openings, account_statement, stream_flat_postings
from ledger.db.verify import verify as verify_journal
from ledger.errors import LedgerError
from ledger.export.beancount import write_beancount
from ledger.export.tables import export_csv, export_parquet
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


@audit.command("account")
@click.argument("account")
@click.option(
    "--from",
    "date_from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First effective date shown (YYYY-MM-DD); earlier postings form the opening balance.",
)
@click.option(
    "--to",
    "date_to",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last effective date shown (YYYY-MM-DD).",
)
@format_option
@pass_app
def account_command(
    app: AppContext, account: str, date_from: object, date_to: object, output_format: str
) -> None:
    """Statement of one account: every posting with its running balance."""
    start, end = to_date(date_from), to_date(date_to)
    with app.reader() as uow:
        opening, lines = account_statement(uow.connection, account, date_from=start, date_to=end)
    running = opening
    rows = []
    for line in lines:
        running += int(line.amount_fen)
        rows.append(
            {
                "date": line.effective_date.isoformat(),
                "transaction": line.transaction_id,
                "type": line.type,
                "description": line.description,
                "operator": line.operator,
                "amount": format_yuan(int(line.amount_fen)),
                "balance": format_yuan(running),
                "amount_fen": int(line.amount_fen),
                "balance_fen": running,
                "instruction_id": line.instruction_id,
            }
        )
    document = {
        "account": account,
        "from": None if start is None else start.isoformat(),
        "to": None if end is None else end.isoformat(),
        "opening_balance_fen": opening,
        "closing_balance_fen": running,
        "lines": rows,
    }
    if output_format == "table":
        click.echo(f"{account}  opening balance {format_yuan(opening)}")
    emit(
        rows,
        ["date", "transaction", "type", "amount", "balance", "operator", "description"],
        output_format,
        json_document=document,
    )
    if output_format == "table":
        click.echo(f"closing balance {format_yuan(running)}  ({len(rows)} postings)")


@audit.command("export")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["beancount", "csv", "parquet"]),
    required=True,
    help="beancount: a ledger for bean-check/Fava; csv/parquet: postings joined with "
    "transactions and accounts.",
)
@as_of_option
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="File to write (written to a temporary name, then renamed).",
)
@pass_app
def export_command(app: AppContext, export_format: str, as_of: object, out_path: Path) -> None:
    """Export the journal for auditors' own tools."""
    day = to_date(as_of)
    if not out_path.parent.exists():
        raise LedgerError(f"folder {out_path.parent} does not exist")
    with app.reader() as uow:
        if export_format == "beancount":
            temporary = out_path.with_name(out_path.name + ".part")
            with temporary.open("w", encoding="utf-8") as out:
                count = write_beancount(
                    out,
                    title="救助资金台账 assistance-fund ledger",
                    openings=account_openings(uow.connection, day),
                    postings=stream_flat_postings(uow.connection, day),
                    as_of=day or date.today(),
                )
            os.replace(temporary, out_path)
            what = f"{count} transactions"
        elif export_format == "csv":
            what = f"{export_csv(uow.connection, out_path, as_of=day)} postings"
        else:
            what = f"{export_parquet(uow.connection, out_path, as_of=day)} postings"
    click.echo(f"Wrote {what} to {out_path}.")
