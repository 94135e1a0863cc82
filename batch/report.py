"""``ledger report``: the reports of DESIGN §7. The exception report is here; the
recipient statement and the public-disclosure list are in ``report_documents``."""

from pathlib import Path

import click

from ledger.cli_support import AppContext, county_option, pass_app
from ledger.county import County


@click.group()
def report() -> None:
    """Reports and printable documents: the exception report, recipient statements,
    public-disclosure lists."""


@report.command()
@click.option("--period", required=True, help="Period YYYY-MM.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write.",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["html", "csv", "xlsx"]),
    default="html",
    show_default=True,
    help="HTML (printable, with charts) or one row per finding (CSV/XLSX).",
)
@county_option
@pass_app
def exceptions(
    app: AppContext, period: str, out: Path, lang: str, output_format: str, county: County
) -> None:
    """The exception report (问题线索报告) of a period: summary by category and township,
    overdue rectifications, charts, then every finding with its evidence. Identities
    are masked (first 6 + last 4)."""
    from ledger.findings.report import write_report  # pandas, Jinja2: loaded here

    with app.reader() as uow:
        count = write_report(
            uow.connection, county, period, out, lang=lang, output_format=output_format
        )
    click.echo(f"Exception report for {period} written to {out} ({count} findings).")
