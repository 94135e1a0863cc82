"""``ledger reconcile``: bank returns, their ledger entries, cancellations and the report."""

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ledger.cli_support import (
    AppContext,
    county_option,
    emit,
    format_option,
    operator_option,
    pass_app,
    unmask_option,
)
from ledger.county import County
from ledger.money import format_yuan


@click.group()
def reconcile() -> None:
    """Bank returns (回盘): import, cancel failed payments, status, report."""


F = TypeVar("F", bound=Callable[..., Any])


def _lang(func: F) -> F:
    return click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        default="zh",
        show_default=True,
        help="Language of the report.",
    )(func)


@reconcile.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--profile",
    default=None,
    metavar="NAME",
    help="Read FILE with this bank profile's return layout (default: detected by content).",
)
@click.option(
    "--batch",
    "batch_id",
    type=int,
    default=None,
    metavar="BATCH",
    help="The batch whose file the return answers: lines without 业务流水号 then match by 序号.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(),
    default=None,
    metavar="PATH",
    help="Also write the reconciliation report (HTML) to PATH (a file or a folder).",
)
@_lang
@county_option
@operator_option
@pass_app
def import_(
    app: AppContext,
    file: str,
    profile: str | None,
    batch_id: int | None,
    report_path: str | None,
    lang: str,
    county: County,
    operator: str,
) -> None:
    """Import a bank return FILE: CSV/fixed-width return, pain.002, camt.053/054, pacs.004.

    Each line settles, fails or returns the instruction it names (posted in one ledger
    transaction), or stays pending; anomalies are recorded, never posted. A malformed
    file, and a file none of whose lines matches this ledger, is refused whole (exit 1);
    the same file again changes nothing (exit 0, "already imported").
    """
    from ledger import reconciliation, reconciliation_report

    with app.unit_of_work() as uow:
        result = reconciliation.import_return(
            uow,
            file,
            operator=operator,
            profile=profile,
            county_path=county.source_path or None,
            batch_id=batch_id,
        )
    if result.already_imported:
        click.echo(
            f"{Path(file).name} was already imported as return file {result.return_file_id} "
            f"by {result.imported_by} on {str(result.imported_at)[:19]} (sha256 "
            f"{result.sha256}): nothing changed."
        )
    else:
        posted = (
            f"; posted as transaction {result.transaction_id}"
            if result.transaction_id
            else "; nothing posted"
        )
        click.echo(
            f"Imported {result.file_name} ({result.format}) as return file "
            f"{result.return_file_id}: {result.line_count} lines, {result.settled} settled, "
            f"{result.failed} failed, {result.returned} returned, {result.pending} pending, "
            f"{result.exceptions} exceptions{posted}."
        )
        if result.header_message_id:
            click.echo(f"Envelope message id (AppHdr): {result.header_message_id}.")
        for batch_id_, state in sorted(result.batch_states.items()):
            click.echo(f"Batch {batch_id_} is now {state}.")
        if result.exceptions:
            click.echo(
                f"Warning: {result.exceptions} line(s) were posted nowhere and recorded as "
                f"exceptions; see `ledger reconcile report {result.return_file_id}`.",
                err=True,
            )
    if report_path:
        with app.reader() as uow:
            path = reconciliation_report.write_report(
                uow.connection, result.return_file_id, report_path, lang=lang
            )
        click.echo(f"Report: {path}")


@reconcile.command()
@click.argument("instruction", metavar="INSTRUCTION")
@click.option("--reason", required=True, help="Why it will not be paid (recorded).")
@operator_option
@pass_app
def cancel(app: AppContext, instruction: str, reason: str, operator: str) -> None:
    """Cancel a failed payment (INSTRUCTION: id or EndToEndId), e.g. the recipient died.

    Posts Dr Payable / Cr Assistance: the entitlement will not be paid.
    """
    from ledger import reconciliation

    with app.unit_of_work() as uow:
        done = reconciliation.cancel(uow, instruction, operator=operator, reason=reason)
    click.echo(
        f"Instruction {done.instruction_id} ({done.end_to_end_id}, batch {done.batch_id}, "
        f"{format_yuan(done.amount_fen, thousands=True)} yuan) cancelled; posted as transaction "
        f"{done.transaction_id}."
    )


STATUS_COLUMNS = [
    "batch",
    "period",
    "program",
    "bank",
    "kind",
    "state",
    "count",
    "settled",
    "settled_amount",
    "failed",
    "failed_amount",
    "pending",
    "pending_amount",
    "cancelled",
    "cancelled_amount",
    "reissued",
    "reissued_amount",
    "clearing",
    "held",
    "held_amount",
]


@reconcile.command()
@click.argument("batch_id", metavar="[BATCH]", type=int, required=False)
@format_option
@pass_app
def status(app: AppContext, batch_id: int | None, output_format: str) -> None:
    """Per exported batch: counts and amounts settled / failed / pending / cancelled /
    re-issued, the clearing balance (0 once the batch is reconciled), and the payments
    the screening held (counted in `count`, in no bank file)."""
    from ledger import reconciliation

    with app.reader() as uow:
        summaries = reconciliation.status(uow.connection, batch_id)
    rows = []
    for s in summaries:
        row = {
            "batch": s["id"],
            "period": s["period"],
            "program": s["program"],
            "bank": s["bank"],
            "kind": s["kind"],
            "state": s["state"],
            "count": s["instruction_count"],
            "clearing": format_yuan(s["clearing_fen"], thousands=True),
        }
        for kind in ("settled", "failed", "pending", "cancelled", "reissued", "held"):
            row[kind] = s[f"{kind}_count"]
            row[f"{kind}_amount"] = format_yuan(s[f"{kind}_fen"], thousands=True)
        rows.append(row)
    if not rows and output_format == "table":
        click.echo("No exported batch yet.")
        return
    emit(rows, STATUS_COLUMNS, output_format, json_document=summaries)


@reconcile.command()
@click.argument("file_id", metavar="FILE_ID", type=int)
@click.option(
    "--out",
    type=click.Path(),
    required=True,
    help="Where to write the HTML report (a file, or a folder for return-NNNNNN-report.html).",
)
@_lang
@unmask_option
@pass_app
def report(app: AppContext, file_id: int, out: str, lang: str, unmask: bool) -> None:
    """Write the reconciliation report of imported return file FILE_ID (HTML)."""
    from ledger import reconciliation_report

    with app.reader() as uow:
        path = reconciliation_report.write_report(
            uow.connection, file_id, out, lang=lang, unmask=unmask
        )
    click.echo(f"Report: {path}")
