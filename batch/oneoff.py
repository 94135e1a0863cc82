"""``ledger oneoff``: 临时救助 one-off cases: add, approve, list, pay at once."""

import click

from ledger.batch.payments import print_result, sheet_options, write_sheets
from ledger.cli_support import (
    DAY,
    AppContext,
    county_option,
    emit,
    format_option,
    operator_option,
    pass_app,
    to_date,
    unmask_option,
)
from ledger.county import County
from ledger.money import format_yuan
from ledger.oneoff_rules import CATEGORY_ZH

LIST_COLUMNS = [
    "case",
    "date",
    "recipient",
    "name",
    "id_number",
    "household",
    "category",
    "amount",
    "township",
    "village",
    "documents",
    "status",
    "approvals_required",
    "over_cap",
    "batch",
    "payment",
    "created_by",
    "approved_by",
]


@click.group(name="oneoff")
def oneoff_group() -> None:
    """临时救助 one-off assistance: cases approved by checkers, paid once.

    A case is added by civil affairs (`add`), approved by finance checkers under the
    county's approval bands (`approve`; never by its maker) and paid in a one-off batch
    of the next `ledger batch run`, or at once (`pay`, or `batch run --urgent`).
    """


@oneoff_group.command()
@click.option("--id-number", required=True, help="The applicant's ID number (18 characters).")
@click.option("--name", required=True, help="The applicant's name.")
@click.option("--household", required=True, help="The household number (户编号).")
@click.option("--category", required=True, help="急难 (emergency) or 支出 (expenditure: 支出型).")
@click.option("--amount", required=True, help='Yuan, e.g. "1500.00".')
@click.option("--township", required=True, help="Township code (county.toml).")
@click.option("--village", required=True, help="Village code (county.toml).")
@click.option("--bank", required=True, help="Bank code (county.toml) of the account paid.")
@click.option("--account", "account_number", required=True, help="The account (card) number.")
@click.option("--holder", default="", help="The account holder, if not the applicant.")
@click.option(
    "--document",
    "documents",
    multiple=True,
    required=True,
    help="A document number (文号) the case rests on (repeatable).",
)
@click.option("--reason", required=True, help="What happened (recorded with the case).")
@click.option(
    "--date", "case_date", type=DAY, default=None, help="The case's date (default today)."
)
@click.option(
    "--over-cap",
    is_flag=True,
    help="Above the cap per case or per household and year: decided by the approval band "
    "above the amount's own ([[approval.bands]]).",
)
@county_option
@operator_option
@pass_app
def add(
    app: AppContext,
    id_number: str,
    name: str,
    household: str,
    category: str,
    amount: str,
    township: str,
    village: str,
    bank: str,
    account_number: str,
    holder: str,
    documents: tuple[str, ...],
    reason: str,
    case_date: object,
    over_cap: bool,
    county: County,
    operator: str,
) -> None:
    """Record a case (civil affairs); it waits for its checkers' approvals."""
    from ledger import oneoff

    new = oneoff.NewCase(
        id_number=id_number,
        name=name,
        household=household,
        category=category,
        amount=amount,
        township=township,
        village=village,
        bank=bank,
        account_number=account_number,
        documents=documents,
        reason=reason,
        account_holder=holder,
        case_date=to_date(case_date),
        over_cap=over_cap,
    )
    with app.unit_of_work() as uow:
        added = oneoff.add_case(uow, county, new, operator=operator)
    click.echo(
        f"One-off case {added.id} recorded for {added.recipient_key}: "
        f"{format_yuan(added.amount_fen, thousands=True)} yuan; needs "
        f"{added.approvals_required} checker(s)"
        + (", one of another department" if added.other_department else "")
        + (f" (over the cap: {'; '.join(added.over_cap)})" if added.over_cap else "")
        + "."
    )


@oneoff_group.command()
@click.argument("case_id", metavar="CASE", type=int)
@operator_option
@pass_app
def approve(app: AppContext, case_id: int, operator: str) -> None:
    """Approve a case (a finance checker, never its maker)."""
    from ledger import oneoff

    with app.unit_of_work() as uow:
        result = oneoff.approve_case(uow, case_id, operator=operator)
    if result.approved:
        click.echo(
            f"One-off case {case_id} approved by {result.approver}: paid by the next "
            "`ledger batch run`, or now with `ledger oneoff pay`."
        )
    else:
        click.echo(
            f"One-off case {case_id}: approval {result.approvals} by {result.approver} "
            f"recorded; it needs {result.missing}."
        )


@oneoff_group.command(name="list")
@click.option(
    "--status",
    type=click.Choice(["pending", "approved"]),
    default=None,
    help="Only cases in this state.",
)
@click.option("--household", default=None, help="Only this household.")
@click.option("--township", default=None, help="Only this township.")
@format_option
@unmask_option
@pass_app
def list_cases(
    app: AppContext,
    status: str | None,
    household: str | None,
    township: str | None,
    output_format: str,
    unmask: bool,
) -> None:
    """Cases, their state and the batch that pays them (ID numbers masked)."""
    from ledger.db import oneoff_store
    from ledger.identity import mask

    with app.reader() as uow:
        rows = oneoff_store.list_cases(
            uow.connection, status=status, household=household, township=township
        )
    emit(
        [
            {
                "case": int(r.id),
                "date": str(r.case_date)[:10],
                "recipient": r.key,
                "name": r.name,
                "id_number": r.id_number if unmask else mask(r.id_number),
                "household": r.household_id,
                "category": CATEGORY_ZH[r.category],
                "amount": format_yuan(int(r.amount_fen), thousands=True),
                "township": r.township,
                "village": r.village,
                "documents": r.documents,
                "status": r.status,
                "approvals_required": int(r.approvals_required),
                "over_cap": bool(r.over_cap),
                "batch": "" if r.batch_id is None else int(r.batch_id),
                "payment": r.payment_status or "",
                "created_by": r.created_by,
                "approved_by": r.approved_by or "",
            }
            for r in rows
        ],
        LIST_COLUMNS,
        output_format,
    )


@oneoff_group.command()
@click.argument("case_ids", metavar="[CASE]...", type=int, nargs=-1)
@click.option("--period", required=True, help="The period the payment is booked in, YYYY-MM.")
@sheet_options
@county_option
@operator_option
@pass_app
def pay(
    app: AppContext,
    case_ids: tuple[int, ...],
    period: str,
    sheet_dir: str,
    lang: str,
    county: County,
    operator: str,
) -> None:
    """Pay approved cases now (先行救助) in an urgent one-off batch: the named cases, or
    every approved case not yet paid. The batch is approved and exported as any other."""
    from ledger import oneoff_pay

    with app.unit_of_work() as uow:
        result = oneoff_pay.pay_now(
            uow, county, period, operator=operator, case_ids=list(case_ids) or None
        )
    if not result.created:
        click.echo("Nothing to pay: no approved one-off case is waiting.")
        return
    print_result(result, county)
    write_sheets(app, county, [c.id for c in result.created], sheet_dir, lang)
