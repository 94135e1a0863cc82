"""``ledger refdata``: import the reference lists the audit rules match against."""

from pathlib import Path

import click

from ledger import refdata as refdata_rules
from ledger.cli_support import AppContext, emit, format_option, operator_option, pass_app
from ledger.errors import AlreadyImported
from ledger.files_util import sha256_of


@click.group()
def refdata() -> None:
    """Reference lists for audits: deaths, staff/payroll, cadres and near relatives,
    vehicles, property, business registrations, provident fund."""


@refdata.command("import")
@click.argument("kind", type=click.Choice(refdata_rules.KINDS))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--encoding",
    default=None,
    help="Force the CSV encoding (default: UTF-8 if the file is UTF-8, else GB18030/GBK).",
)
@click.option(
    "--source",
    default=None,
    help="deaths: the source (公安, 卫健, 殡葬...) for rows whose 数据来源 is empty.",
)
@click.option("--dry-run", is_flag=True, default=False, help="Check the file only; write nothing.")
@operator_option
@pass_app
def import_(
    app: AppContext,
    kind: str,
    file: Path,
    encoding: str | None,
    source: str | None,
    dry_run: bool,
    operator: str,
) -> None:
    """Import a reference list (CSV or XLSX; columns in docs/registry.md).

    KIND is deaths (cumulative), staff (财政供养人员), cadres, vehicles, property,
    business or provident_fund (each import replaces the previous list of its kind as
    the current one; earlier lists stay for history; the asset limits are [screening] in
    county.toml, docs/asset-lists.md). Any error refuses the file (exit 1). A file
    imported before as the same KIND says "already imported ... nothing changed" and
    exits 0.
    """
    from ledger import refdata_import

    rows, problems = refdata_import.read_list(file, kind, encoding=encoding, default_source=source)
    digest = sha256_of(file)
    try:
        with app.unit_of_work() as uow:
            import_id = refdata_import.import_list(
                uow,
                kind,
                rows,
                file_name=str(file),
                file_sha256=digest,
                operator=operator,
                dry_run=dry_run,
            )
    except AlreadyImported as already:
        click.echo(f"{already}.")
        return
    for line in problems.warning_lines():
        click.echo(f"Warning: {line}", err=True)
    if dry_run:
        click.echo(f"Dry run, nothing written: {file.name}: {len(rows)} {kind} rows are valid.")
    else:
        click.echo(f"Imported {file.name} as {kind} import {import_id}: {len(rows)} rows.")


@refdata.command()
@format_option
@pass_app
def status(app: AppContext, output_format: str) -> None:
    """What each reference list holds now and when it was last imported."""
    from ledger.db import refdata_store

    with app.reader() as uow:
        rows = refdata_store.status(uow.connection)
    emit(
        rows,
        ["kind", "current_rows", "rule", "imports", "latest_import", "latest_at", "latest_file"],
        output_format,
    )
