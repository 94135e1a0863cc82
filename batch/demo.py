"""``ledger demo``: a synthetic county, end to end, in a directory of its own."""

import random
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ledger.batches import parse_period
from ledger.cli_support import progress_enabled
from ledger.errors import LedgerError
from ledger.money import format_yuan

if TYPE_CHECKING:  # the demo (pandas, lxml, Alembic) loads when it runs
    from ledger.demo.run import DemoResult


def _period(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_period(value)
    except LedgerError as error:
        raise click.BadParameter(str(error)) from None


@click.group(invoke_without_command=True)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Where the county is created (county.toml, ledger.db, files); must not hold a demo.",
)
@click.option(
    "--recipients",
    type=click.IntRange(150, 1_000_000),
    default=3000,
    show_default=True,
    help="Recipients on the month-1 roster (plus a few planted ones).",
)
@click.option(
    "--months",
    type=click.IntRange(1, 12),
    default=3,
    show_default=True,
    help="Months to run, one after the other.",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option(
    "--first-period",
    default=None,
    metavar="YYYY-MM",
    callback=lambda _ctx, _param, value: _period(value),
    help="The first month paid (default: so that the last month is the previous one).",
)
@click.option(
    "--files-only",
    is_flag=True,
    default=False,
    help="Only write the county's files (county.toml, reference lists, one roster per "
    "month); no database. For running a month by hand.",
)
@click.pass_context
def demo(
    ctx: click.Context,
    directory: Path,
    recipients: int,
    months: int,
    seed: int,
    first_period: str | None,
    files_only: bool,
) -> None:
    """Create a synthetic county in DIR and run MONTHS months of it end to end.

    Two finance operators (maker li.finance, checker wang.finance) and a civil-affairs
    clerk (zhao.civil): allocations, roster imports (with changes from month 2), batch
    run, approval, export, the simulated bank's return files, follow-up of failures.
    Anomalies of every rule category are planted in known numbers: manifest.json.
    Then try the commands yourself: cd DIR and run e.g. `ledger batch list`.
    `ledger demo bank FILE` answers one bank file as the simulated bank.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ledger.demo.run import DemoOptions, run_demo

    if files_only:
        result = run_demo(
            DemoOptions(directory, recipients, months, seed, first_period, files_only=True)
        )
        click.echo(f"County files in {result.directory} (periods {', '.join(result.periods)}):")
        for label, path in result.files:
            click.echo(f"  {label}: {path}")
        return
    show = progress_enabled()

    def progress(message: str) -> None:
        if show:
            click.echo(f"  … {message}", err=True)

    result = run_demo(
        DemoOptions(directory, recipients, months, seed, first_period, progress=progress)
    )
    _print_summary(result)


def _print_summary(result: "DemoResult") -> None:
    click.echo(f"Demo county in {result.directory} (periods {', '.join(result.periods)})")
    for month in result.months:
        roster = month.roster
        click.echo(
            f"\n{month.period}: roster {roster['rows']} rows ({roster['added']} added, "
            f"{roster['changed']} changed, {roster['exited']} exited, "
            f"{roster['warnings']} warnings)"
        )
        count = sum(b["count"] for b in month.batches)
        amount = sum(b["amount_fen"] for b in month.batches)
        held = sum(b["held"] for b in month.batches)
        oneoff = sum(1 for b in month.batches if b["kind"] == "oneoff")
        click.echo(
            f"  {len(month.batches) - oneoff} regular"
            + (f" and {oneoff} one-off (临时救助)" if oneoff else "")
            + f" batches approved and exported: {count} payments in the bank files, "
            f"{format_yuan(amount, thousands=True)} yuan"
            + (f"; {held} more held by the screening" if held else "")
        )
        settled = sum(r["settled"] for r in month.returns)
        failed = sum(r["failed"] for r in month.returns)
        pending = sum(r["pending"] for r in month.returns)
        tampered = sum(len(r["tampered"]) for r in month.returns)
        click.echo(
            f"  bank returns: {settled} paid, {failed} failed, {pending} still processing"
            + (f", {tampered} tampered line(s) planted" if tampered else "")
        )
        if month.reissued or month.cancelled:
            click.echo(
                f"  follow-up: {month.cancelled} cancelled, "
                f"{sum(b['count'] for b in month.reissued)} re-issued"
                + (f" in {len(month.reissued)} supplementary batches" if month.reissued else "")
            )
        for note in month.notes:
            click.echo(f"  note: {note}")
    click.echo("\nFiles to open:")
    by_folder: dict[Path, list[str]] = {}
    labels: dict[Path, str] = {}
    for label, path in result.files:
        by_folder.setdefault(path.parent, []).append(path.name)
        labels.setdefault(path.parent, label.split(",")[0])
    for folder, names in by_folder.items():
        if len(names) == 1:
            click.echo(f"  {labels[folder]}: {folder / names[0]}")
            continue
        click.echo(f"  {folder}/ ({len(names)} files)")
        click.echo(
            textwrap.fill(
                ", ".join(names),
                100,
                initial_indent="    ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        )
    # Last, where the terminal leaves it in view: planted against held (stopped before the
    # bank file by the screening at batch run) and found (by the findings afterwards).
    click.echo("\nPlanted anomalies (manifest.json)" + (":" if result.months else ""))
    found = result.months[-1].findings if result.months else None
    held = (result.months[-1].held if result.months else None) or {}
    for kind, planted in result.planted.items():
        tail = ""
        if found is not None:
            stopped = f"held {held[kind]}" if kind in held else ""
            tail = f"  {stopped:8}  found {found.get(kind, 0)}"
        click.echo(f"  {kind:32} planted {planted}{tail}")
    click.echo(f"\nLedger verified: {'yes' if result.verified else 'NO'}")
    click.echo(
        f"\nNext: cd {result.directory} && ledger batch list && ledger funds status "
        "&& ledger audit verify"
    )
    if not result.verified:
        sys.exit(1)


@demo.command("bank")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("returns"),
    show_default=True,
    help="Folder for the return file.",
)
@click.option(
    "--fail",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="How many payments fail: closed (AC04), frozen (AC06), name mismatch (BE01) in turn.",
)
@click.option(
    "--pending",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="How many payments stay 处理中 (pending).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Which lines fail.")
def bank(file: Path, out: Path, fail: int, pending: int, seed: int) -> None:
    """Answer FILE (a bank file we exported) as the demo's simulated bank would.

    Writes the return in the file's own profile (CSV GB18030, fixed-width GBK) or a
    pain.002 for a pain.001, ready for `ledger reconcile import`. Demo and training only.
    """
    from ledger.demo.bank import SimulatedBank, read_bank_file

    lines = read_bank_file(file).lines
    if fail + pending > len(lines):
        raise click.BadParameter(f"the file has {len(lines)} payments", param_hint="--fail")
    chosen = random.Random(seed).sample(lines, fail + pending)
    simulated = SimulatedBank()
    for k, line in enumerate(chosen[:fail]):
        if k % 3 == 0:
            simulated.closed.add(line.account)
        elif k % 3 == 1:
            simulated.frozen.add(line.account)
        else:
            simulated.holders[line.account] = line.holder + "某"
    simulated.pending = {line.account for line in chosen[fail:]}
    answer = simulated.answer(file, out, now=datetime.now(UTC))
    click.echo(
        f"Return file: {answer.path} ({answer.count('成功')} paid, {answer.count('失败')} "
        f"failed, {answer.count('处理中')} pending)"
    )
