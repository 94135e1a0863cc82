"""``ledger audit``: read-only questions auditors ask of the ledger."""

import json
import os
from datetime import date
from pathlib import Path

import click

from ledger.batch.audit_trails import batch_command, history_command
from ledger.cli_support import (
    DAY,
    AppContext,
    as_of_option,
    emit,
    format_option,
    pass_app,
    to_date,
)
from ledger.db import kept_totals
from ledger.db.balances import DEFAULT_DEPTH, Balance, balances, roll_up, trial_balance
from ledger.db.checkpoint import check_checkpoint, head_document, read_checkpoint
from ledger.db.event_verify import EventReport, verify_events
from ledger.db.journal_queries import account_openings, account_statement, stream_flat_postings
from ledger.db.verify import VerifyReport
from ledger.db.verify import verify as verify_journal
from ledger.errors import LedgerError
from ledger.money import format_yuan


@click.group()
def audit() -> None:
    """Verify the journal, and query balances as of any date."""


@audit.command()
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint written by `ledger audit checkpoint` (or a head stamped in a "
    "manifest): prove the chains still hold it. Repeatable.",
)
@format_option
@pass_app
def verify(app: AppContext, checkpoints: tuple[Path, ...], output_format: str) -> None:
    """Recompute the journal's and the audit events' hash chains, every transaction's
    balance and the totals, and check every batch, import, the roster, findings and
    operators against what the newest audit event recorded of them. The kept totals
    (each account's balance, each return file's outcome counts) are recomputed from the
    postings and outcomes and must equal them.

    Exits 1 and names the first bad transaction, event or row when anything does not
    match. Deleting the newest transactions or events, or re-forging them with
    recomputed hashes, shows only against a head witnessed before (--checkpoint).
    """
    witnessed = [(path, read_checkpoint(path)) for path in checkpoints]
    with app.reader() as uow:
        report = verify_journal(uow.connection)
        events = verify_events(uow.connection)
        problems = [{"transaction": tx, "message": message} for tx, message in report.problems]
        problems += [
            {"event": event, "scope": scope, "message": message}
            for event, scope, message in events.problems
        ]
        problems += [
            {"kept": table, "message": message}
            for table, message in kept_totals.problems(uow.connection)
        ]
        for path, document in witnessed:
            problems += [
                {"checkpoint": str(path), "message": message}
                for message in check_checkpoint(uow.connection, document)
            ]
    ok = not problems
    if output_format != "table":
        emit(
            problems,
            ["transaction", "event", "scope", "kept", "checkpoint", "message"],
            output_format,
            json_document={
                "ok": ok,
                "transactions_checked": report.transactions_checked,
                "postings_checked": report.postings_checked,
                "first_bad_transaction": report.first_bad_transaction,
                "events_checked": events.events_checked,
                "scopes_checked": events.scopes_checked,
                "checkpoints_checked": len(witnessed),
                "problems": problems,
            },
        )
        if not ok:
            raise click.exceptions.Exit(1)
        return
    if ok:
        witnessed_text = f"; {len(witnessed)} witnessed head(s) held" if witnessed else ""
        click.echo(
            f"OK: {report.transactions_checked} transactions and "
            f"{report.postings_checked} postings verified; {events.events_checked} audit "
            f"events and {events.scopes_checked} batches, imports and registers match them"
            f"{witnessed_text}; the hash chains are intact; the kept balances and outcome"
            " counts equal their recomputation."
        )
        return
    for problem in problems[:50]:
        click.echo(f"{_where(problem)}: {problem['message']}", err=True)
    if len(problems) > 50:
        click.echo(f"... and {len(problems) - 50} more problems", err=True)
    raise click.ClickException(f"the ledger does not verify ({_summary(report, events)})")


def _where(problem: dict[str, object]) -> str:
    if "transaction" in problem:
        tx = problem["transaction"]
        return f"transaction {tx}" if tx is not None else "journal"
    if "event" in problem:
        parts = [f"event {problem['event']}" if problem["event"] is not None else ""]
        if problem.get("scope"):
            parts.append(str(problem["scope"]))
        return " ".join(p for p in parts if p)
    if "kept" in problem:
        return f"kept totals ({problem['kept']})"
    return f"checkpoint {problem['checkpoint']}"


def _summary(report: VerifyReport, events: EventReport) -> str:
    first = report.first_bad_transaction
    if first is not None:
        return f"first bad transaction: {first}"
    bad_events = [e for e, _, _ in events.problems if e is not None]
    if bad_events:
        return f"first bad event: {min(bad_events)}"
    return "see the problems above"


@audit.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the checkpoint (JSON) to this file.",
)
@format_option
@pass_app
def checkpoint(app: AppContext, out: Path | None, output_format: str) -> None:
    """The chains' heads now (last transaction and audit event, with their hashes) for
    the auditors to keep outside the database; `ledger audit verify --checkpoint FILE`
    later proves the ledger still holds them. --out FILE writes the JSON document
    (--format json prints it)."""
    with app.reader() as uow:
        document = head_document(uow.connection)
    journal, events = document["journal"], document["events"]
    if out is not None:
        out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")
    rows = [
        {"chain": "journal", "id": journal["transaction_id"], "hash": journal["hash"]},
        {"chain": "audit events", "id": events["event_id"], "hash": events["hash"]},
    ]
    emit(rows, ["chain", "id", "hash"], output_format, json_document=document)
    if out is not None and output_format == "table":
        click.echo(
            f"{out}: checkpoint written at {document['at']}; keep it where the database's "
            "users cannot change it."
        )


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
        click.echo(f"total {format_yuan(total, thousands=True)} over {len(items)} accounts")


@audit.command("trial-balance")
@as_of_option
@click.option(
    "--depth",
    type=click.IntRange(1, 6),
    default=DEFAULT_DEPTH,
    show_default=True,
    help="Sum accounts by their first N name levels (3: one line per program's payables, "
    "treasury, expenses; 4: per recipient or township).",
)
@click.option(
    "--all",
    "every_account",
    is_flag=True,
    default=False,
    help="Every account on its own line (one per recipient: long).",
)
@format_option
@pass_app
def trial_balance_command(
    app: AppContext, as_of: object, depth: int, every_account: bool, output_format: str
) -> None:
    """Balances summed by account level (default: 3 levels); debits and credits must be
    equal. --all lists every account. Amounts in the table are yuan as people write them
    (1,234.50); CSV and JSON carry plain decimals (1234.50) and JSON the fen too."""
    day = to_date(as_of)
    with app.reader() as uow:
        items = trial_balance(uow.connection, as_of=day)
    rolled = roll_up(items, None if every_account else depth)
    people = output_format == "table"
    rows = [
        {
            "account": b.account,
            "kind": b.kind,
            "accounts": b.accounts,
            "debits": format_yuan(b.debits_fen, thousands=people),
            "credits": format_yuan(-b.credits_fen, thousands=people),
            "balance": format_yuan(b.balance_fen, thousands=people),
            "balance_fen": b.balance_fen,
        }
        for b in rolled
    ]
    debit_total = sum(b.balance_fen for b in items if b.balance_fen > 0)
    credit_total = -sum(b.balance_fen for b in items if b.balance_fen < 0)
    document = {
        "as_of": None if day is None else day.isoformat(),
        "debit_total_fen": debit_total,
        "credit_total_fen": credit_total,
        "balanced": debit_total == credit_total,
        "depth": None if every_account else depth,
        "accounts": rows,
    }
    emit(
        rows,
        ["account", "kind", "accounts", "debits", "credits", "balance"],
        output_format,
        json_document=document,
    )
    if output_format == "table":
        state = "balanced" if debit_total == credit_total else "NOT BALANCED"
        click.echo(
            f"debit balances {format_yuan(debit_total, thousands=True)}  credit balances "
            f"{format_yuan(credit_total, thousands=True)}  {state} ({len(items)} accounts"
            f"{'' if every_account else f' summed to {len(rows)} lines; --all lists each'})"
        )


@audit.command("account")
@click.argument("account")
@click.option(
    "--from",
    "date_from",
    type=DAY,
    default=None,
    help="First effective date shown (YYYY-MM-DD); earlier postings form the opening balance.",
)
@click.option(
    "--to",
    "date_to",
    type=DAY,
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
        click.echo(f"{account}  opening balance {format_yuan(opening, thousands=True)}")
    emit(
        rows,
        ["date", "transaction", "type", "amount", "balance", "operator", "description"],
        output_format,
        json_document=document,
    )
    if output_format == "table":
        click.echo(
            f"closing balance {format_yuan(running, thousands=True)}  ({len(rows)} postings)"
        )


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
    from ledger.export.beancount import write_beancount
    from ledger.export.tables import export_csv, export_parquet  # pandas: only here

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


audit.add_command(history_command)
audit.add_command(batch_command)
