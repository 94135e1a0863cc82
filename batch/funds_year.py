"""``ledger funds`` (continued): the funds report, a payment's sources, the year end."""

from datetime import date
from pathlib import Path
from typing import Any

import click

from ledger.batch.funds import funds
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
from ledger.db import fund_lineage
from ledger.errors import LedgerError
from ledger.funds_year import close_year
from ledger.money import format_yuan


@funds.command()
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write: .html or .xlsx.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the report (Chinese by default).",
)
@click.option(
    "--final",
    "final_year",
    type=int,
    default=None,
    help="The final accounts (决算) of this closed year instead of the progress report.",
)
@as_of_option
@county_option
@pass_app
def report(
    app: AppContext,
    out: Path,
    lang: str,
    final_year: int | None,
    as_of: Any,
    county: County,
) -> None:
    """The spending progress report (资金支出进度) per program × source, for the year of
    --as-of (default today), with the rows behind the required pace flagged; or, with
    --final YYYY, the final accounts (决算) of that year: the same measures at 31
    December and what the year end carried over or returned."""
    if out.suffix.lower() not in (".html", ".xlsx"):
        raise LedgerError(f"{out}: the report is written as .html or .xlsx")
    day = date(final_year, 12, 31) if final_year else (to_date(as_of) or date.today())
    with app.reader() as uow:
        from ledger.funds_report import write_report  # pandas: only when used

        context = write_report(
            uow.connection, county, out, as_of=day, lang=lang, final=final_year is not None
        )
    behind = sum(1 for r in context["rows"] if r["behind"] and not r["total"])
    what = "Final accounts" if final_year else "Spending progress report"
    tail = "" if final_year else f"; {behind} program × source row(s) behind the pace"
    click.echo(f"{what} {context['year']} as of {day} written to {out}{tail}.")


SOURCE_COLUMNS = (
    "instruction_id",
    "source",
    "allocation_id",
    "doc_number",
    "allocation_date",
    "amount",
    "returned",
)


@funds.command()
@click.option("--instruction", "instruction_id", type=int, required=True, help="Instruction id.")
@as_of_option
@format_option
@pass_app
def sources(app: AppContext, instruction_id: int, as_of: Any, output_format: str) -> None:
    """Which allocations one payment drew on (document, date, source, amount), as of a
    day, and whether its money came back from the bank."""
    with app.reader() as uow:
        rows = fund_lineage.payment_sources(uow.connection, instruction_id, as_of=to_date(as_of))
    for row in rows:
        row["amount"] = format_yuan(row["amount_fen"], thousands=True)
    emit(
        rows,
        SOURCE_COLUMNS,
        output_format,
    )


@funds.command("close-year")
@click.argument("year", type=click.IntRange(2000, 9998))
@county_option
@operator_option
@pass_app
def close_year_(app: AppContext, year: int, county: County, operator: str) -> None:
    """Year end of YEAR, after its last period is closed: per program × source, the
    money left in the year's allocations is carried over into the next year (结转) or
    returned to the tier above (上缴), as [funds] year_end says per source (default
    carry); one journal transaction each, dated 1 January of the next year. Running it
    again posts nothing more."""
    with app.unit_of_work() as uow:
        entries = close_year(uow, county, year, operator=operator)
    if not entries:
        click.echo(f"Year {year}: nothing left to carry over or return; nothing posted.")
        return
    for e in entries:
        words = "carried over to" if e.action == "carry" else "returned, not in"
        click.echo(
            f"{e.program} {e.source}: {format_yuan(e.amount_fen, thousands=True)} {words} "
            f"{year + 1} (transaction {e.transaction_id})"
        )
