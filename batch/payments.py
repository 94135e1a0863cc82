"""``ledger batch``: the monthly payment batch, from the roster to the bank file."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ledger.batch.batch_reads import list_, payments_text, show, verify_file
from ledger.batch.residents import residents
from ledger.cli_support import (
    AppContext,
    county_option,
    emit,
    operator_option,
    pass_app,
)
from ledger.county import County
from ledger.money import format_yuan

if TYPE_CHECKING:  # the batch engine (lxml) and the sheets (pandas, Jinja2) load when used
    from ledger import payments

F = TypeVar("F", bound=Callable[..., Any])


def lang_option(func: F) -> F:
    return click.option(
        "--lang",
        type=click.Choice(["zh", "en"]),
        default="zh",
        show_default=True,
        help="Language of the approval sheet.",
    )(func)


def sheet_options(func: F) -> F:
    """``--sheet-dir`` and ``--lang``: where and in which language the draft approval
    sheets are written."""
    func = lang_option(func)
    return click.option(
        "--sheet-dir",
        type=click.Path(file_okay=False),
        default=".",
        show_default=True,
        help="Where the draft approval sheets (HTML) are written.",
    )(func)


def _filters(func: F) -> F:
    func = click.option(
        "--bank", "banks", multiple=True, help="Only this bank (code; repeatable)."
    )(func)
    return click.option(
        "--program", "programs", multiple=True, help="Only this program (code; repeatable)."
    )(func)


@click.group()
def batch() -> None:
    """Monthly payment batches: run, approve (maker-checker), export bank files."""


def print_result(result: "payments.RunResult", county: County) -> None:
    label = {"supplementary": "supplementary batch", "oneoff": "one-off batch"}.get(
        result.kind, "batch"
    )
    for created in result.created:
        click.echo(
            f"Created draft {label} {created.id}: {result.period} {created.program} "
            f"{created.bank}, {payments_text(created.count)}, "
            f"{format_yuan(created.amount_fen_total, thousands=True)} yuan"
            + (
                f"; {created.held_count} held by screening "
                f"({format_yuan(created.held_fen, thousands=True)} yuan, listed first on "
                "its approval sheet; `ledger batch show` names them)"
                if created.held_count
                else ""
            )
        )
        emit(
            [
                {
                    "township": t,
                    "name": county.townships[t].name if t in county.townships else "",
                    "count": n,
                    "amount": format_yuan(s, thousands=True),
                }
                for t, n, s in created.townships
            ],
            ["township", "name", "count", "amount"],
            "table",
        )
    for program, bank, batch_id, late in result.existing:
        click.echo(
            f"Batch {batch_id} already exists for {result.period} {program} {bank}: "
            "nothing new created for it."
        )
        if late:
            click.echo(
                f"  Warning: {late} enrolment(s) active in {result.period} are not in it "
                "(enrolled after it was run); void it and run again to include them.",
                err=True,
            )


@batch.command()
@click.option("--period", required=True, help="The month to pay, YYYY-MM.")
@click.option(
    "--urgent",
    is_flag=True,
    help="Only the approved 临时救助 one-off cases not yet paid, now (先行救助); no regular batch.",
)
@_filters
@sheet_options
@county_option
@operator_option
@pass_app
def run(
    app: AppContext,
    period: str,
    urgent: bool,
    programs: tuple[str, ...],
    banks: tuple[str, ...],
    sheet_dir: str,
    lang: str,
    county: County,
    operator: str,
) -> None:
    """Compute the period's entitlements and create one draft batch per program and bank.

    Running it again for the same period creates nothing new and says so. Approved
    临时救助 one-off cases not yet paid go into one-off batches of the run (--urgent:
    only those).
    """
    from ledger import oneoff_pay, payments

    with app.unit_of_work() as uow:
        if urgent:
            result = oneoff_pay.pay_now(uow, county, period, operator=operator, banks=banks)
        else:
            result = payments.run_batches(
                uow, county, period, operator=operator, programs=programs, banks=banks
            )
    print_result(result, county)
    if urgent and not result.created:
        click.echo(f"Nothing to pay for {period}: no approved one-off case is waiting.")
    elif not result.created and not result.existing:
        click.echo(f"Nothing to pay for {period}: no active enrolment matches.")
    elif not result.created:
        click.echo(f"Nothing new for {period}.")
    write_sheets(app, county, [c.id for c in result.created], sheet_dir, lang)


def write_sheets(
    app: AppContext, county: County, batch_ids: list[int], out_dir: str, lang: str
) -> None:
    from ledger import sheets

    if not batch_ids:
        return
    with app.reader() as uow:
        for batch_id in batch_ids:
            path = sheets.write_sheet(
                uow.connection, county, batch_id, out_dir, stage="draft", lang=lang
            )
            click.echo(f"Approval sheet: {path}")


@batch.command()
@click.option("--period", required=True, help="The period whose failed payments to re-issue.")
@click.option(
    "--held",
    "with_held",
    is_flag=True,
    help="Also pay the payments held in the period's approved batches whose cause is "
    "cleared (screened again: those still matching are held again).",
)
@_filters
@sheet_options
@county_option
@operator_option
@pass_app
def reissue(
    app: AppContext,
    period: str,
    with_held: bool,
    programs: tuple[str, ...],
    banks: tuple[str, ...],
    sheet_dir: str,
    lang: str,
    county: County,
    operator: str,
) -> None:
    """Put the period's failed (not cancelled) payments into a supplementary batch.

    The re-issue pays the still-open payable (no new accrual) to the recipient's current
    account; the failed instructions become 'reissued'. A failure on an account the bank
    reported closed or frozen (AC04/AC06) waits until the roster records a new account.
    With --held, payments held at batch run are paid too (accrued when this batch is
    approved); the new batch is screened like a regular one.
    """
    from ledger import payments

    with app.unit_of_work() as uow:
        result = payments.reissue_failed(
            uow,
            county,
            period,
            operator=operator,
            programs=programs,
            banks=banks,
            with_held=with_held,
        )
    meaning = {"AC04": "account closed", "AC06": "account frozen"}
    for instruction_id, key, bank, reason in result.blocked:
        click.echo(
            f"Not re-issued: instruction {instruction_id} ({key}): {bank} answered {reason} "
            f"({meaning.get(reason, 'account closed or frozen')}) and the account is "
            "unchanged; record the new account in the roster first.",
            err=True,
        )
    if not result.created:
        waiting = "held or failed" if with_held else "failed"
        click.echo(f"Nothing to re-issue for {period}: no {waiting} payment is waiting.")
        return
    print_result(result, county)
    write_sheets(app, county, [c.id for c in result.created], sheet_dir, lang)


@batch.command()
@click.argument("batch_id", metavar="BATCH", type=int)
@operator_option
@pass_app
def approve(app: AppContext, batch_id: int, operator: str) -> None:
    """Approve a draft batch (a finance checker, never its maker); when its approvals meet
    its rule (county.toml [approval]: more checkers above an amount) it is approved and
    its accrual posted."""
    from ledger import payments

    with app.unit_of_work() as uow:
        result = payments.record_approval(uow, batch_id, operator=operator)
    if not result.approved:
        click.echo(
            f"Batch {batch_id}: approval {result.approvals} by {result.approver} recorded; "
            f"still a draft: its rule needs {result.missing}."
        )
        return
    accrual = result.accrual_transaction_id
    posted = f"; accrual posted as transaction {accrual}" if accrual else ""
    click.echo(f"Batch {batch_id} approved by {result.approver}{posted}.")


@batch.command()
@click.argument("batch_id", metavar="BATCH", type=int)
@click.option(
    "--instruction",
    "instruction_ids",
    type=int,
    multiple=True,
    required=True,
    help="A held instruction to release (repeatable; `ledger batch show BATCH` lists them).",
)
@click.option("--reason", required=True, help="Why the payment is made after all (recorded).")
@operator_option
@pass_app
def release(
    app: AppContext, batch_id: int, instruction_ids: tuple[int, ...], reason: str, operator: str
) -> None:
    """Release payments the screening held in a draft batch (a checker, not its maker).

    The released payments are accrued at approval and written to the bank file; the
    release, its reason and who made it are recorded and shown on the approval sheet and
    in the findings report. Nothing is released if any instruction named is not held.
    """
    from ledger import holds

    with app.unit_of_work() as uow:
        released = holds.release(uow, batch_id, instruction_ids, operator=operator, reason=reason)
    click.echo(
        f"Batch {batch_id}: released {len(released.instruction_ids)} held payment(s), "
        f"{format_yuan(released.amount_fen_total, thousands=True)} yuan; they will be paid "
        "when the batch is approved and exported."
    )


@batch.command()
@click.argument("batch_id", metavar="BATCH", type=int)
@click.option("--reason", required=True, help="Why the batch is voided (recorded).")
@operator_option
@pass_app
def void(app: AppContext, batch_id: int, reason: str, operator: str) -> None:
    """Void a draft or approved batch before export; its accrual is reversed."""
    from ledger import payments

    with app.unit_of_work() as uow:
        reversal = payments.void(uow, batch_id, operator=operator, reason=reason)
    reversed_ = f"; accrual reversed by transaction {reversal}" if reversal else ""
    click.echo(f"Batch {batch_id} voided{reversed_}. The period can be run again.")


@batch.command()
@click.argument("batch_id", metavar="BATCH", type=int)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the bank file, its manifest, the approval sheet (and residents attachment).",
)
@click.option(
    "--profile",
    default=None,
    help="Bank file profile (default: the bank's profile in the county configuration).",
)
@lang_option
@county_option
@operator_option
@pass_app
def export(
    app: AppContext,
    batch_id: int,
    out_dir: str,
    profile: str | None,
    lang: str,
    county: County,
    operator: str,
) -> None:
    """Write an approved batch's bank file and post the funding entry.

    Refused unless approved, and if the program's treasury cannot pay the total.
    Exporting again writes the identical file (same bytes) and posts nothing. A batch
    with care institution lines (集中供养) also gets its residents attachment (masked;
    see `ledger batch residents`).
    """
    from ledger import payments, sheets

    with app.unit_of_work() as uow:
        result = payments.export(
            uow, county, batch_id, out_dir, operator=operator, profile_name=profile
        )
    verb = "written again (identical)" if result.rewritten else "exported"
    click.echo(
        f"Batch {batch_id} {verb}: {result.path} ({payments_text(result.count)}, "
        f"{format_yuan(result.amount_fen_total, thousands=True)} yuan)\n"
        f"  sha256 {result.sha256}\n  manifest {result.manifest_path}"
    )
    if not result.rewritten:
        click.echo(f"  funding posted as transaction {result.funding_transaction_id}")
    with app.reader() as uow:
        path = sheets.write_sheet(
            uow.connection, county, batch_id, out_dir, stage="export", lang=lang
        )
        attachment = sheets.write_residents(uow.connection, county, batch_id, out_dir, lang=lang)
    click.echo(f"  approval sheet {path}")
    if attachment is not None:
        click.echo(f"  residents attachment (集中供养) {attachment}")


batch.add_command(verify_file)
batch.add_command(list_)
batch.add_command(show)
batch.add_command(residents)
