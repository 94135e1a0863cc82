"""``ledger batch deduction`` (扣减) and ``ledger registry categories`` (分类施保): the
commands of the two kinds of money issue 18 adds to the regular batch."""

from pathlib import Path

import click

from ledger.batch.payments import batch
from ledger.batch.registry import registry
from ledger.cli_support import (
    AppContext,
    county_option,
    emit,
    format_option,
    operator_option,
    pass_app,
)
from ledger.county import County
from ledger.errors import ValidationError
from ledger.money import format_yuan, parse_yuan


def _fen(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_yuan(text, signed=True)
    except ValueError as error:
        raise ValidationError(
            "the deduction plan was refused, nothing was recorded:", [f"{option}: {error}"]
        ) from None


@batch.group()
def deduction() -> None:
    """扣减: recover an overpayment by deducting from future payments (docs/deductions.md)."""


@deduction.command("add")
@click.option("--recipient", required=True, help="Recipient key (R0000001) or ID number.")
@click.option("--program", required=True, help="The program whose payments are reduced.")
@click.option(
    "--amount", required=True, help="Total to recover, yuan (at most what the receivable holds)."
)
@click.option(
    "--per-month",
    default=None,
    help="Instalment per month, yuan (default: the county's ceiling, [deductions]).",
)
@click.option("--reason", required=True, help="Which overpayment (finding, document number).")
@county_option
@operator_option
@pass_app
def add(
    app: AppContext,
    recipient: str,
    program: str,
    amount: str,
    per_month: str | None,
    reason: str,
    county: County,
    operator: str,
) -> None:
    """Record a deduction plan: from the next `batch run` on, the recipient's regular
    payments of PROGRAM are reduced (at most the county's ceiling a month) until AMOUNT
    is recovered from their recovery receivable (Assets:Receivable:Recovery:{key}).
    Each deduction is listed on its batch's approval sheet and approved with it."""
    from ledger import deductions

    amount_fen = _fen(amount, "--amount")
    assert amount_fen is not None
    with app.unit_of_work() as uow:
        plan = deductions.add_plan(
            uow,
            county,
            recipient=recipient,
            program=program,
            amount_fen=amount_fen,
            per_month_fen=_fen(per_month, "--per-month"),
            reason=reason,
            operator=operator,
        )
    click.echo(
        f"Deduction plan {plan.id}: {plan.recipient_key} {plan.program}, "
        f"{format_yuan(plan.amount_fen, thousands=True)} yuan to recover from future payments"
        + (f", {format_yuan(plan.per_month_fen)} a month" if plan.per_month_fen else "")
        + "."
    )


@deduction.command("list")
@click.option("--recipient", default=None, help="Only this recipient's plans (key).")
@format_option
@pass_app
def list_(app: AppContext, recipient: str | None, output_format: str) -> None:
    """The deduction plans: amount, what is left, instalment, reason."""
    from ledger.db import deductions_store
    from ledger.db.registry_queries import find_recipient

    with app.reader() as uow:
        rid = None
        if recipient is not None:
            person = find_recipient(uow.connection, recipient)
            if person is None:
                raise ValidationError("nothing to list:", [f"--recipient: no {recipient!r}"])
            rid = int(person.id)
        rows = deductions_store.list_plans(uow.connection, rid)
    emit(
        [
            {
                "plan": int(r.id),
                "recipient": r.key,
                "program": r.program,
                "amount": format_yuan(int(r.amount_fen)),
                "left": format_yuan(int(r.remaining)),
                "per_month": format_yuan(int(r.per_month_fen)) if r.per_month_fen else "",
                "reason": r.reason,
                "by": r.created_by,
            }
            for r in rows
        ],
        ["plan", "recipient", "program", "amount", "left", "per_month", "reason", "by"],
        output_format,
    )


@registry.command("categories")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--encoding", default=None, help="Force the CSV encoding (default: detected).")
@county_option
@operator_option
@pass_app
def categories(
    app: AppContext, file: Path, encoding: str | None, county: County, operator: str
) -> None:
    """Import the 分类施保 categories list (CSV or XLSX: 身份证号, 救助项目, 类别; the
    whole list, replacing the previous one as current). Each 类别 must be the category
    of a county.toml [[supplements]] entry for that program; any problem refuses the
    file naming its row and column."""
    from ledger import supplements

    with app.unit_of_work() as uow:
        import_id, count = supplements.import_categories(
            uow, county, file, operator=operator, encoding=encoding
        )
    click.echo(f"Imported categories list {import_id}: {count} rows from {file.name}.")
