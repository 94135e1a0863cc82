"""``ledger province``: a county's extract for the province, and the province's
cross-county detection on Apache Spark (docs/province.md)."""

from datetime import UTC, datetime
from pathlib import Path

import click

from ledger.batches import parse_period
from ledger.cli_support import (
    AppContext,
    county_option,
    operator_option,
    pass_app,
    progress_enabled,
    unmask_option,
)
from ledger.county import County
from ledger.errors import LedgerError
from ledger.money import format_yuan
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


@province.command("detect")
@click.option(
    "--extracts",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder holding the counties' extracts (county=<code>/period=<YYYY-MM>/).",
)
@click.option(
    "--period", required=True, metavar="YYYY-MM", callback=_period, help="Period compared."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("province-findings"),
    show_default=True,
    help="Folder for findings.parquet, findings.csv and report.html.",
)
@click.option(
    "--master",
    default=None,
    metavar="URL",
    help="Spark master (spark://host:7077, yarn, k8s://...); default local[*], this machine.",
)
@click.option(
    "--shuffle-partitions",
    type=click.IntRange(1),
    default=None,
    help="spark.sql.shuffle.partitions (default: one per core in local mode, Spark's own "
    "on a cluster).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of report.html.",
)
@unmask_option
def detect_command(
    extracts: Path,
    period: str,
    out: Path,
    master: str | None,
    shuffle_partitions: int | None,
    lang: str,
    unmask: bool,
) -> None:
    """Cross-county detection over every county's extract of PERIOD, on Apache Spark.

    Checks each extract against its manifest (an altered file is refused), then runs the
    rules P01-P07 (same ID paid in two counties, shared accounts, deaths, cadres'
    relatives and staff of another county, one person under two IDs). Needs Java 17 and
    pyspark (pip install 'ledger[province]'). Rules and formats: docs/province.md.
    """
    from ledger.province.job import detect
    from ledger.province.report import write_outputs

    show = progress_enabled()

    def progress(message: str) -> None:
        if show:
            click.echo(f"  … {message}", err=True)

    result = detect(
        extracts,
        period,
        master=master,
        shuffle_partitions=shuffle_partitions,
        progress=progress,
    )
    files = write_outputs(
        result.findings, result.manifests, out, period=period, lang=lang, unmask=unmask
    )
    frame = result.findings
    click.echo(
        f"{len(result.manifests)} counties compared for {period}: {len(frame)} findings, "
        f"{format_yuan(int(frame['amount_fen'].sum()), thousands=True)} yuan at risk."
    )
    for rule, part in frame.groupby("rule"):
        click.echo(
            f"  {rule}: {len(part)} findings, "
            f"{format_yuan(int(part['amount_fen'].sum()), thousands=True)} yuan"
        )
    click.echo("Wrote " + ", ".join(str(p) for p in files) + ".")


@click.command("province")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-province"),
    show_default=True,
    help="Where the counties are created (one folder each) and extracted; must be empty.",
)
@click.option(
    "--counties", type=click.IntRange(2, 9), default=5, show_default=True, help="How many."
)
@click.option(
    "--recipients",
    type=click.IntRange(20, 1_000_000),
    default=100,
    show_default=True,
    help="Recipients per county (plus the planted ones).",
)
@click.option(
    "--period",
    default=None,
    metavar="YYYY-MM",
    help="The month paid (default: the previous month).",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
def demo_province(
    directory: Path, counties: int, recipients: int, period: str | None, seed: int
) -> None:
    """A province of several demo counties with cross-county cases planted.

    Each county is a real demo ledger run for one month (DIR/county-<code>/), then
    extracted for the province (DIR/extracts, with the demo key printed below). The
    planted cases, one per rule P01-P07 with both counties and the amount at risk (and a
    death and a cadre's relative listed with one ID digit wrong: near matches), and the
    near misses (a person who moved county; deaths listed near a recipient that must not
    match) are listed in DIR/manifest.json.
    """
    from ledger.demo.province import run_province
    from ledger.demo.run import default_first_period

    chosen = parse_period(period) if period else default_first_period(1)
    show = progress_enabled()

    def progress(message: str) -> None:
        if show:
            click.echo(f"  … {message}", err=True)

    result = run_province(
        directory,
        counties=counties,
        recipients=recipients,
        period=chosen,
        seed=seed,
        progress=progress,
    )
    click.echo(
        f"Province of {len(result.counties)} demo counties in {result.directory} "
        f"({', '.join(result.counties)}), period {result.period}."
    )
    click.echo(f"Planted cross-county cases ({result.manifest}):")
    for case in result.planted:
        click.echo(
            f"  {case['rule']}  {case['county_a']} / {case['county_b']}  "
            f"{format_yuan(case['amount_fen'])} yuan  {case['how']}"
        )
    click.echo(
        f"\nNext: ledger province detect --extracts {result.extracts} --period "
        f"{result.period} --out {result.directory / 'findings'}"
    )


@province.command("import")
@click.argument(
    "findings_file",
    metavar="FINDINGS",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@county_option
@operator_option
@pass_app
def import_command(app: AppContext, findings_file: Path, county: County, operator: str) -> None:
    """Store this county's side of the province's findings (findings.parquet of
    `ledger province detect`) as findings of source province (role: auditor).

    One finding per recipient and program this county paid, with the other county and
    the province's evidence; importing again updates them. Then follow them with
    `ledger findings list`, `assign`, `rectify` as any finding.
    """
    from ledger.province.backport import import_findings

    with app.unit_of_work() as uow:
        stored = import_findings(
            uow, findings_file, county=county.code, operator=operator, now=datetime.now(UTC)
        )
    if not stored:
        click.echo(f"No finding of {findings_file} concerns payments of county {county.code}.")
        return
    total = sum(stored.values())
    detail = ", ".join(f"{rule} {n}" for rule, n in sorted(stored.items()))
    click.echo(f"Stored {total} province finding(s) for county {county.code}: {detail}.")
