"""``ledger report``: printable documents (recipient statement 对账单, public list 公示).

Read-only: every command here only reads the ledger and writes a file.
"""

import os
from datetime import datetime
from pathlib import Path

import click

from ledger.batch.report import report
from ledger.batches import parse_period
from ledger.cli_support import AppContext, county_option, pass_app, unmask_option
from ledger.county import County
from ledger.db.audit_reads import disclosure_rows, load_history
from ledger.errors import LedgerError
from ledger.money import format_yuan

lang_option = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the document (Chinese by default).",
)
out_option = click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write (written to a temporary name, then renamed).",
)


def _write(path: Path, text: str) -> None:
    if not path.parent.exists():
        raise LedgerError(f"folder {path.parent} does not exist")
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


@report.command("statement")
@click.argument("who", metavar="ID_NUMBER")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="Calendar year.")
@out_option
@lang_option
@county_option
@pass_app
def statement_command(
    app: AppContext, who: str, year: int, out_path: Path, lang: str, county: County
) -> None:
    """The yearly statement of one recipient (对账单): month, program, entitled,
    deducted (扣减), paid, date paid and the bank's outcome, as self-contained printable HTML.

    ID_NUMBER is the ID number or the recipient key; ID and card numbers are masked.
    """
    from ledger.db import deductions_store
    from ledger.documents import render_statement, statement_context  # Jinja2

    with app.reader() as uow:
        raw = load_history(uow.connection, who)
        deducted = deductions_store.of_recipient(uow.connection, int(raw.recipient["id"]))
    context = statement_context(raw, county, year, lang=lang, deductions=deducted)
    _write(out_path, render_statement(context))
    click.echo(
        f"Wrote the {year} statement of {raw.recipient['key']} "
        f"({len(context['rows'])} lines) to {out_path}."
    )


def _resolve_township(county: County, value: str | None) -> str | None:
    if value is None:
        return None
    for town in county.townships.values():
        if value in (town.code, town.name):
            return town.code
    raise LedgerError(f"unknown township {value!r} (see the county configuration)")


def _resolve_village(county: County, township: str | None, value: str | None) -> str | None:
    if value is None:
        return None
    towns = [county.townships[township]] if township else list(county.townships.values())
    found = {v.code for t in towns for v in t.villages if value in (v.code, v.name)}
    if len(found) == 1:
        return found.pop()
    if not found:
        raise LedgerError(
            f"unknown village {value!r}" + (f" in township {township}" if township else "")
        )
    raise LedgerError(f"village name {value!r} is ambiguous: give --township or the village code")


@report.command("disclosure")
@click.option("--period", required=True, help="Month of the list (YYYY-MM).")
@click.option("--township", default=None, help="Only this township (code or name).")
@click.option("--village", default=None, help="Only this village (code or name).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["html", "csv"]),
    default="html",
    show_default=True,
    help="html: printable, one page per village; csv: one line per recipient.",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First day of the 公示 period, YYYY-MM-DD (default today); it lasts "
    "[disclosure] days of county.toml (default 7).",
)
@out_option
@lang_option
@county_option
@pass_app
def disclosure_command(
    app: AppContext,
    period: str,
    township: str | None,
    village: str | None,
    output_format: str,
    start: datetime | None,
    out_path: Path,
    lang: str,
    county: County,
) -> None:
    """The public-disclosure list (公示) of a period, per village: masked name (张*,
    or 张*明 with [disclosure] name_mask = "middle"), household size, program and
    monthly amount, village and grand totals, the 公示 period and the complaint hotline
    ([disclosure] hotline). It never contains an ID or account number.
    """
    from ledger.documents import disclosure_context, disclosure_csv, render_disclosure

    period = parse_period(period)
    town = _resolve_township(county, township)
    place = _resolve_village(county, town, village)
    with app.reader() as uow:
        rows = disclosure_rows(uow.connection, period, township=town, village=place)
    context = disclosure_context(
        rows, county, period, lang=lang, start=start.date() if start else None
    )
    text = disclosure_csv(context) if output_format == "csv" else render_disclosure(context)
    _write(out_path, text)
    click.echo(
        f"Wrote the {period} disclosure list: {context['count']} recipients in "
        f"{len(context['villages'])} villages to {out_path}."
    )


@report.command("receipts")
@click.argument("batch_id", metavar="BATCH", type=int)
@out_option
@lang_option
@unmask_option
@county_option
@pass_app
def receipts_command(
    app: AppContext, batch_id: int, out_path: Path, lang: str, unmask: bool, county: County
) -> None:
    """The cash receipt list (现金发放签收表) of an exported cash batch, to print and
    have each recipient sign: one table per township and village, line numbers and
    amounts as in the batch's file, room for the signature and the date, and the
    officers' signatures. The signed list comes back typed into the batch file's layout
    with 领取状态 已领取/未领取 and is imported with `ledger reconcile import`.

    BATCH is a batch of a cash bank (cash = true in county.toml). ID numbers are
    masked unless --unmask.
    """
    from ledger.cash import receipt_list  # Jinja2

    with app.reader() as uow:
        listed = receipt_list(uow.connection, county, batch_id, lang=lang, unmask=unmask)
    _write(out_path, listed.html)
    click.echo(
        f"Wrote the receipt list of batch {batch_id} ({listed.count} payments, "
        f"{format_yuan(listed.amount_fen, thousands=True)} yuan) to {out_path}."
    )
