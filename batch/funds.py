"""``ledger funds``: record allocations and see where each program's money is."""

from datetime import date
from pathlib import Path
from typing import Any

import click

from ledger import allocations
from ledger.cli_support import (
    AppContext,
    as_of_option,
    county_option,
    emit,
    format_option,
    operator_option,
    pass_app,
    to_date,
)
from ledger.county import County
from ledger.db import funds_store
from ledger.errors import ValidationError
from ledger.files_util import sha256_of
from ledger.funds import make_allocation
from ledger.money import format_yuan


@click.group()
def funds() -> None:
    """Fund allocations (资金拨付) and the position of each program's money."""


@funds.command()
@click.option("--source", required=True, help="Fund source: central, provincial, ... or 中央...")
@click.option("--program", required=True, help="Program code (or its Chinese name).")
@click.option("--amount", required=True, help="Amount in yuan, at most 2 decimals: 1200000.00")
@click.option("--doc", required=True, help="Allocation document number (文号).")
@click.option("--date", "day", required=True, help="Allocation date (YYYY-MM-DD).")
@click.option("--note", default=None, help="Free text kept with the allocation.")
@county_option
@operator_option
@pass_app
def allocate(
    app: AppContext,
    source: str,
    program: str,
    amount: str,
    doc: str,
    day: str,
    note: str | None,
    county: County,
    operator: str,
) -> None:
    """Record one allocation: Dr Treasury:{program} / Cr Appropriation:{source}:{program}.

    Recording the same allocation again (same source, program, amount, document and
    date) posts nothing.
    """
    allocation, problems = make_allocation(
        county, source=source, program=program, amount=amount, doc=doc, day=day, note=note
    )
    if allocation is None:
        raise ValidationError(
            "the allocation was refused:", [f"--{field}: {message}" for field, message in problems]
        )
    with app.unit_of_work() as uow:
        recorded = allocations.allocate(uow, allocation, operator=operator, county=county)
    if recorded.created:
        click.echo(
            f"Allocation recorded as transaction {recorded.id}: {allocation.source} → "
            f"{allocation.program} {format_yuan(allocation.amount_fen, thousands=True)} "
            f"({allocation.doc_number}, {allocation.allocation_date})."
        )
    else:
        click.echo(
            f"This allocation was already recorded as transaction {recorded.id}; nothing posted."
        )


@funds.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--encoding", default=None, help="Force the CSV encoding (default: detected).")
@click.option("--dry-run", is_flag=True, default=False, help="Check the file; post nothing.")
@county_option
@operator_option
@pass_app
def import_(
    app: AppContext,
    file: Path,
    encoding: str | None,
    dry_run: bool,
    county: County,
    operator: str,
) -> None:
    """Record many allocations from a CSV or XLSX file (资金来源, 救助项目, 金额(元),
    文号, 日期, 备注). All or nothing (any error: exit 1); lines already recorded are
    skipped. A file whose lines were all recorded before says "already imported ...
    nothing changed" and exits 0."""
    items = allocations.read_file(file, county, encoding=encoding)
    with app.unit_of_work() as uow:
        imported = allocations.import_file(
            uow,
            items,
            county,
            file_name=str(file),
            file_sha256=sha256_of(file),
            operator=operator,
            dry_run=dry_run,
        )
    created, skipped, total = imported.created, imported.skipped, imported.total_fen
    if created == 0:
        # Every line was recorded before: the same "already imported" as every import.
        click.echo(
            f"{file}: already imported: its {skipped} allocation(s) were all recorded "
            "before; nothing changed."
        )
        return
    head = "Dry run, nothing posted" if dry_run else "Allocations recorded"
    click.echo(
        f"{head}: {created} posted ({format_yuan(total, thousands=True)}), "
        f"{skipped} already recorded."
    )


@funds.command()
@click.option(
    "--by",
    type=click.Choice(["program", "source"]),
    default="program",
    show_default=True,
    help="program: allocations per source, money per program; source: every measure "
    "per program × source for the year of --as-of (fund lineage), with the spending "
    "progress against the elapsed time of the year.",
)
@as_of_option
@county_option
@format_option
@pass_app
def status(app: AppContext, by: str, as_of: Any, county: County, output_format: str) -> None:
    """Per program and source: allocated; per program: disbursed (confirmed by the bank),
    in the bank (sent, not yet confirmed), available (in the special account).

    With --by source, per program × source for the year of --as-of (default today):
    opening, carried in, allocated, sent, returned, recovered, in the bank, disbursed,
    available, and the spending progress, flagged when it is behind the county's
    required pace ([funds] required_pace, percent of the elapsed time; 序时进度)."""
    day = to_date(as_of)
    if by == "source":
        _status_by_source(app, day or date.today(), county, output_format)
        return
    with app.reader() as uow:
        positions = funds_store.status(uow.connection, as_of=day)
    programs = list(county.programs) + sorted(set(positions) - set(county.programs))
    rows: list[dict[str, Any]] = []
    for program in programs:
        entry = positions.get(program)
        if entry is None:
            continue
        for source, amount in sorted(entry["allocated_by_source"].items()):
            rows.append(
                {
                    "program": program,
                    "source": source,
                    "allocated": format_yuan(amount, thousands=True),
                    "allocated_fen": amount,
                }
            )
        rows.append(
            {
                "program": program,
                "source": "合计/total",
                **{
                    key: format_yuan(entry[key], thousands=True)
                    for key in ("allocated", "disbursed", "in_bank", "available")
                },
                **{
                    f"{key}_fen": entry[key]
                    for key in ("allocated", "disbursed", "in_bank", "available")
                },
            }
        )
    if output_format == "table":
        click.echo(f"Funds as of {day or 'today'} (yuan)")
    emit(
        rows,
        ["program", "source", "allocated", "disbursed", "in_bank", "available"],
        output_format,
        json_document={"as_of": day, "programs": positions},
    )


def _status_by_source(app: AppContext, day: date, county: County, output_format: str) -> None:
    with app.reader() as uow:
        from ledger.funds_report import report_context  # pandas: only when used

        context = report_context(uow.connection, county, as_of=day, lang="en")
    keys = [k for k, _ in context["measures"]]
    rows = [
        {
            "program": r["program"],
            "source": r["source"],
            **r["shown"],
            **{f"{k}_fen": r["amounts"][k] for k in keys},
            "progress": r["progress"],
            "behind": "BEHIND" if r["behind"] else "",
        }
        for r in context["rows"]
    ]
    if output_format == "table":
        click.echo(
            f"Funds by source, {context['year']} as of {day} (yuan); elapsed "
            f"{context['elapsed']} of the year, required progress {context['required']}"
        )
    emit(
        rows,
        ["program", "source", *keys, "progress", "behind"],
        output_format,
        json_document={
            "year": context["year"],
            "as_of": day,
            "elapsed": context["elapsed"],
            "required": context["required"],
            "rows": [
                {
                    "program": r["program"],
                    "source": r["source"],
                    **{f"{k}_fen": r["amounts"][k] for k in keys},
                    "progress_bp": r["progress_bp"],
                    "behind": r["behind"],
                }
                for r in context["rows"]
            ],
        },
    )


@funds.command("list")
@as_of_option
@format_option
@pass_app
def list_(app: AppContext, as_of: Any, output_format: str) -> None:
    """Every allocation recorded: date, source, program, amount, document number."""
    with app.reader() as uow:
        rows = funds_store.list_allocations(uow.connection, as_of=to_date(as_of))
    for row in rows:
        row["amount"] = format_yuan(row["amount_fen"], thousands=True)
    emit(
        rows,
        ["transaction_id", "allocation_date", "source", "program", "amount", "doc_number", "note"],
        output_format,
    )


@funds.command("receive-recovery")
@click.option("--recipient", required=True, help="The recipient's key (R0000001).")
@click.option("--program", required=True, help="Program whose special account receives it.")
@click.option("--amount", required=True, help="Amount received in yuan (e.g. 600.00).")
@click.option("--date", "day", required=True, help="Day the money arrived (YYYY-MM-DD).")
@click.option("--finding", "finding_id", type=int, default=None, help="The finding it settles.")
@click.option("--note", default=None, help="Receipt number or other text.")
@county_option
@operator_option
@pass_app
def receive_recovery(
    app: AppContext,
    recipient: str,
    program: str,
    amount: str,
    day: str,
    finding_id: int | None,
    note: str | None,
    county: County,
    operator: str,
) -> None:
    """Recovered money arrived (追缴到账): Dr Assets:Treasury:{program} /
    Cr Assets:Receivable:Recovery:{recipient}. The receivable never goes below zero."""
    from datetime import date as _date

    from ledger.findings import recovery
    from ledger.money import parse_yuan

    problems = []
    try:
        amount_fen = parse_yuan(amount)
    except ValueError as error:
        problems.append(f"--amount: not a yuan amount: {error}")
        amount_fen = 0
    try:
        when = _date.fromisoformat(day)
    except ValueError:
        problems.append(f"--date: not a date (YYYY-MM-DD): {day!r}")
        when = _date.today()
    if problems:
        raise ValidationError("the recovery was refused:", problems)
    with app.unit_of_work() as uow:
        tx = recovery.receive_recovery(
            uow,
            county,
            recipient_key=recipient,
            program=program,
            amount_fen=amount_fen,
            operator=operator,
            day=when,
            finding_id=finding_id,
            note=note,
        )
    click.echo(
        f"Recovered {format_yuan(amount_fen, thousands=True)} yuan from {recipient}: "
        f"transaction {tx}."
    )
