"""``ledger registry``: import the roster, show a person's history, what an import changed."""

import sys
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import click

from ledger.cli_support import (
    AppContext,
    county_option,
    emit,
    format_option,
    operator_option,
    pass_app,
    progress_enabled,
    unmask_option,
)
from ledger.county import County
from ledger.errors import AlreadyImported, LedgerError
from ledger.files_util import count_lines, sha256_of
from ledger.money import format_yuan

DIFF_COLUMNS = [
    "township",
    "township_name",
    "added",
    "exited",
    "amount_changes",
    "account_changes",
    "other_changes",
    "active_amount_delta",
]


@click.group()
def registry() -> None:
    """The recipient roster (救助对象名册): import it, follow each person's history."""


def _month(value: str | None) -> str:
    if value is None:
        today = date.today()
        return f"{today.year:04d}-{today.month:02d}"
    try:
        year, month = value.split("-")
        date(int(year), int(month), 1)
        if len(year) != 4 or len(month) != 2:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"not a month (YYYY-MM): {value!r}") from None
    return value


@registry.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--encoding",
    default=None,
    help="Force the CSV encoding (default: UTF-8 if the file is UTF-8, else GB18030/GBK).",
)
@click.option(
    "--month",
    "roster_month",
    default=None,
    metavar="YYYY-MM",
    help="The month this roster is for (default: this month). People absent from it "
    "are exited with end month = the month before.",
)
@click.option(
    "--partial",
    is_flag=True,
    default=False,
    help="The file covers only the townships that appear in it: people of other "
    "townships are left as they are instead of being exited.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    default=False,
    help="Check and show what would change; write nothing.",
)
@county_option
@operator_option
@format_option
@pass_app
def import_(
    app: AppContext,
    file: Path,
    encoding: str | None,
    roster_month: str | None,
    partial: bool,
    dry_run: bool,
    county: County,
    operator: str,
    output_format: str,
) -> None:
    """Import a roster file (CSV in UTF-8 or GB18030/GBK, or XLSX).

    One row per enrolment, Chinese headers or English aliases (docs/registry.md). Any
    error refuses the whole file and nothing changes (exit 1); warnings are listed and
    kept. A file imported before (same SHA-256) says "already imported ... nothing
    changed" and exits 0.
    """
    from ledger import registry_import  # pandas and the roster rules: loaded here
    from ledger.roster import COLUMNS
    from ledger.tabular import open_table

    month = _month(roster_month)
    table = open_table(file, COLUMNS, encoding=encoding)
    digest = sha256_of(file)
    show_progress = progress_enabled()
    # The rows under the header (the bar counts rows as they are read and checked).
    bar_length = max(count_lines(file) - 1, 1) if show_progress and table.kind == "csv" else None
    bar: Any = (
        click.progressbar(length=bar_length, label="Importing", file=sys.stderr)
        if show_progress
        else nullcontext()
    )
    try:
        with app.unit_of_work() as uow, bar as progress:
            result = registry_import.run_import(
                uow,
                table,
                county,
                file_name=str(file),
                file_sha256=digest,
                operator=operator,
                roster_month=month,
                partial=partial,
                progress=progress.update if progress is not None else None,
                dry_run=dry_run,
            )
    except AlreadyImported as already:
        click.echo(f"{already}.", err=output_format != "table")
        return
    for line in result.warnings:
        click.echo(f"Warning: {line}", err=True)
    if result.warning_count and not dry_run:
        click.echo(
            f"All {result.warning_count} warning(s) are stored: "
            f"`ledger registry warnings {result.import_id}` lists them (--format csv).",
            err=True,
        )
    head = "Dry run, nothing written" if dry_run else f"Imported as import {result.import_id}"
    click.echo(
        f"{head}: {file.name} for {month}"
        f"{' (partial: only its townships)' if partial else ''}: {result.row_count} rows; "
        f"{result.added} added, {result.changed} changed, {result.exited} exited, "
        f"{result.unchanged} unchanged; {result.warning_count} warning(s).",
        err=output_format != "table",
    )
    _emit_diff(result.townships, county, output_format)


def _emit_diff(rows: list[dict[str, Any]], county: County, output_format: str) -> None:
    shown = []
    totals: dict[str, Any] = dict.fromkeys(DIFF_COLUMNS[2:], 0)
    for row in rows:
        township = county.townships.get(row["township"])
        shown.append(
            {
                **row,
                "township_name": township.name if township else "",
                "active_amount_delta": format_yuan(row["active_amount_delta_fen"]),
            }
        )
        for key in DIFF_COLUMNS[2:-1]:
            totals[key] += row[key]
        totals["active_amount_delta"] += row["active_amount_delta_fen"]
    if output_format == "table" and shown:
        totals["active_amount_delta"] = format_yuan(totals["active_amount_delta"])
        shown.append({"township": "total", "township_name": "合计", **totals})
    emit(shown, DIFF_COLUMNS, output_format)


@registry.command()
@click.argument("import_id", type=int, required=False)
@click.option("--program", default=None, help="Only this program's enrolments.")
@county_option
@format_option
@pass_app
def diff(
    app: AppContext, import_id: int | None, program: str | None, county: County, output_format: str
) -> None:
    """What an import changed (default: the latest), per township: added, exited,
    amount changes, account changes, other changes, change of the active monthly total."""
    from ledger import registry_import
    from ledger.db import registry_queries

    with app.reader() as uow:
        if import_id is None:
            import_id = registry_queries.latest_import_id(uow.connection)
            if import_id is None:
                raise LedgerError("no roster has been imported yet")
        known = {row["id"]: row for row in registry_queries.list_imports(uow.connection)}
        if import_id not in known:
            raise LedgerError(
                f"there is no roster import {import_id} (see `ledger registry imports`)"
            )
        rows = registry_import.import_diff(uow.connection, import_id, program=program)
    info = known[import_id]
    if output_format == "table":
        click.echo(
            f"Import {import_id}: {info['file_name']} for {info['roster_month'] or '?'}, "
            f"by {info['operator']} at {info['imported_at']:%Y-%m-%d %H:%M}"
        )
    _emit_diff(rows, county, output_format)


@registry.command()
@format_option
@pass_app
def imports(app: AppContext, output_format: str) -> None:
    """List roster imports: file, month, operator and what each changed."""
    from ledger.db import registry_queries

    with app.reader() as uow:
        rows = registry_queries.list_imports(uow.connection)
    for row in rows:
        row["imported_at"] = f"{row['imported_at']:%Y-%m-%d %H:%M}"
    emit(
        rows,
        [
            "id",
            "imported_at",
            "roster_month",
            "operator",
            "file_name",
            "row_count",
            "added_count",
            "changed_count",
            "exited_count",
            "unchanged_count",
            "warning_count",
            "townships",
        ],
        output_format,
    )


@registry.command()
@click.argument("import_id", metavar="IMPORT", type=int)
@format_option
@pass_app
def warnings(app: AppContext, import_id: int, output_format: str) -> None:
    """Every warning of a roster import (the import prints the first 1,000): file row,
    column and message; --format csv for a spreadsheet to work through."""
    from ledger.db import roster_warnings

    with app.reader() as uow:
        rows = roster_warnings.import_warnings(uow.connection, import_id)
    if output_format == "table":
        click.echo(f"Import {import_id}: {len(rows)} warning(s).")
    emit(rows, ["row", "column", "message"], output_format)


@registry.command()
@click.argument("who")
@unmask_option
@format_option
@pass_app
def show(app: AppContext, who: str, unmask: bool, output_format: str) -> None:
    """A person's enrolments and every change to them, by ID number or key (R0000001).

    ID and card numbers are masked unless --unmask is given.
    """
    from ledger.db import registry_queries
    from ledger.identity import mask

    show_number = (lambda v: v or "") if unmask else mask
    with app.reader() as uow:
        person = registry_queries.find_recipient(uow.connection, who)
        if person is None:
            raise LedgerError(f"no recipient with ID number or key {show_number(who.strip())!r}")
        versions = registry_queries.history(uow.connection, int(person.id))
    rows = []
    previous: dict[str, dict[str, Any]] = {}
    for version in versions:
        before = previous.get(version["program"])
        rows.append(
            {
                "program": version["program"],
                "import": version["valid_from_import"],
                "imported_at": f"{version['imported_at']:%Y-%m-%d %H:%M}",
                "month": version["roster_month"],
                "operator": version["operator"],
                "change": _describe_change(before, version, show_number),
                "status": version["status"],
                "amount": format_yuan(int(version["amount_fen"])),
                "bank": version["bank"],
                "account": show_number(version["account_number"]),
                "holder": version["account_holder"],
                "township": version["township"],
                "village": version["village"],
                "start_month": version["start_month"],
                "end_month": version["end_month"],
                "exit_date": version["exit_date"],
                "until_import": version["valid_to_import"],
            }
        )
        previous[version["program"]] = version
    person_doc = {
        "key": person.key,
        "id_number": show_number(person.id_number),
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date,
    }
    if output_format == "table":
        click.echo(
            f"{person.key}  {person_doc['id_number']}  {person.name}  "
            f"{person.sex or ''}  born {person.birth_date or '?'}\n"
        )
    emit(
        rows,
        [
            "program",
            "import",
            "imported_at",
            "month",
            "operator",
            "change",
            "status",
            "amount",
            "bank",
            "account",
            "township",
            "start_month",
            "end_month",
        ],
        output_format,
        json_document={"recipient": person_doc, "versions": rows},
    )


def _describe_change(before: dict[str, Any] | None, after: dict[str, Any], show_number: Any) -> str:
    if before is None:
        return "new"
    parts = []
    if before["status"] != after["status"]:
        parts.append(f"status {before['status']}→{after['status']}")
    if before["amount_fen"] != after["amount_fen"]:
        old, new = format_yuan(int(before["amount_fen"])), format_yuan(int(after["amount_fen"]))
        parts.append(f"amount {old}→{new}")
    if before["account_number"] != after["account_number"] or before["bank"] != after["bank"]:
        parts.append(
            f"account {before['bank']} {show_number(before['account_number'])}→"
            f"{after['bank']} {show_number(after['account_number'])}"
        )
    if before["account_holder"] != after["account_holder"]:
        parts.append(f"holder {before['account_holder']}→{after['account_holder']}")
    exiting = after["status"] == "exited" and before["status"] != "exited"
    if exiting:
        parts[0] += (
            f" (end month {after['end_month'] or '-'}, exit date {after['exit_date'] or '-'})"
        )
    fields = ("township", "village", "household_id", "household_size", "start_month")
    for key in fields + (() if exiting else ("end_month", "exit_date")):
        if before[key] != after[key]:
            parts.append(f"{key} {before[key] or '-'}→{after[key] or '-'}")
    return "; ".join(parts) or "restated"
