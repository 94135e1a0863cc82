"""``ledger province``: a county's extract for the province, and the province's
cross-county detection on Apache Spark (docs/province.md)."""

from datetime import UTC, datetime
from pathlib import Path

import click

from ledger.batches import parse_period
from ledger.cli_support import AppContext, county_option, operator_option, pass_app
from ledger.county import County
from ledger.errors import LedgerError
from ledger.operators import Role

KEY_ENV = "LEDGER_PROVINCE_ID_KEY"


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return parse_period(value)
    except LedgerError as error:
        raise click.BadParameter(str(error)) from None


@click.group()
def province() -> None:
    """The province (省级): county extracts and cross-county detection on Spark."""


@province.command("extract")
@click.option(
    "--period", required=True, metavar="YYYY-MM", callback=_period, help="Period extracted."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("province-extract"),
    show_default=True,
    help="Folder of extracts; this one goes to OUT/county=<code>/period=<YYYY-MM>/.",
)
@click.option(
    "--id-key",
    envvar=KEY_ENV,
    required=True,
    help=f"The province's extract key (at least 16 characters; the same in every county): "
    f"ID, name and account numbers are hashed with it. Env: {KEY_ENV}.",
)
@click.option(
    "--ids",
    "policy",
    type=click.Choice(["hashed", "full"]),
    default="hashed",
    show_default=True,
    help="hashed: keyed hashes only; full: clear ID numbers, names and accounts too "
    "(only where the province's data-sharing policy allows it).",
)
@county_option
@operator_option
@pass_app
def extract_command(
    app: AppContext,
    period: str,
    out: Path,
    id_key: str,
    policy: str,
    county: County,
    operator: str,
) -> None:
    """Write the county's province extract for a period (role: auditor).

    Verifies the journal, then writes recipients, enrolments, the period's payment
    instructions with their account and bank outcome, and the reference lists as Parquet,
    with manifest.json (schema version, row counts, SHA-256 of every file, the journal's
    chain head). Format: docs/province.md.
    """
    from ledger.operator_register import authorise
    from ledger.province.extract import extract

    with app.reader() as uow:
        authorise(uow.connection, operator, Role.AUDITOR)
        result = extract(
            uow.connection,
            county=county.code,
            period=period,
            out=out,
            key=id_key,
            policy=policy,
            operator=operator,
            now=datetime.now(UTC),
        )
    counts = ", ".join(f"{n} {name}" for name, n in result.rows.items())
    click.echo(f"Wrote the extract of {county.code} {period} to {result.folder}: {counts}.")
    head = result.chain
    click.echo(
        f"Journal verified; chain head: transaction {head['transaction_id']} hash {head['hash']}"
    )
