"""``ledger findings write-off / approve-write-off / overdue / escalate``: closing a
finding whose money will not all come back, and escalating overdue rectifications.

Added to the ``findings`` group (``ledger.batch.findings``); see
``ledger.findings.closing``."""

from datetime import date
from typing import Any

import click

from ledger.batch.findings import _DAY, findings
from ledger.cli_support import (
    AppContext,
    emit,
    format_option,
    operator_option,
    pass_app,
    to_date,
)
from ledger.db import finding_cases
from ledger.money import format_yuan, parse_yuan


def _fen(amount: str) -> int:
    try:
        return parse_yuan(amount)
    except ValueError as error:
        raise click.BadParameter(f"not a yuan amount: {error}", param_hint="--amount") from None


@findings.command("write-off")
@click.argument("finding_id", type=int)
@click.option("--amount", required=True, help="Yuan that will not be recovered (e.g. 600.00).")
@click.option("--reason", required=True, help="Why (e.g. 继承人无遗产可追缴，经乡镇核实).")
@operator_option
@pass_app
def write_off(app: AppContext, finding_id: int, amount: str, reason: str, operator: str) -> None:
    """Propose writing off money of a finding that cannot be recovered (核销); a
    finance_checker other than you approves it with `findings approve-write-off`."""
    amount_fen = _fen(amount)
    with app.unit_of_work() as uow:
        from ledger.findings import closing  # pandas: only when used

        closing.propose_write_off(
            uow, finding_id, amount_fen=amount_fen, reason=reason, operator=operator
        )
    click.echo(
        f"Write-off of {format_yuan(amount_fen)} yuan proposed for finding {finding_id}; "
        f"another operator approves it: `ledger findings approve-write-off {finding_id}`."
    )


@findings.command("approve-write-off")
@click.argument("finding_id", type=int)
@operator_option
@pass_app
def approve_write_off(app: AppContext, finding_id: int, operator: str) -> None:
    """Approve a proposed write-off (not by its proposer): the uncollected part of the
    recovery receivable goes back to the program's expense; `verify` can then close
    the finding."""
    with app.unit_of_work() as uow:
        from ledger.findings import closing  # pandas: only when used

        tx = closing.approve_write_off(uow, finding_id, operator=operator)
    posted = f" (transaction {tx})" if tx is not None else ""
    click.echo(f"Write-off of finding {finding_id} approved{posted}.")


def _overdue_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": r["id"],
            "rule": r["rule"],
            "period": r["period"],
            "subject": f"{r['subject_type']}:{r['recipient_key'] or r['subject_id']}",
            "township": r["township"] or "",
            "owner": r["owner"],
            "due_date": r["due_date"],
            "days_overdue": r["days_overdue"],
            "amount_at_risk": format_yuan(int(r["amount_fen"]), thousands=True),
            "amount_fen": int(r["amount_fen"]),
            "escalated_at": (
                f"{r['escalated_at']:%Y-%m-%d %H:%M}" if r["escalated_at"] is not None else ""
            ),
        }
        for r in rows
    ]


_COLUMNS = [
    "id",
    "rule",
    "period",
    "subject",
    "owner",
    "due_date",
    "days_overdue",
    "amount_at_risk",
    "escalated_at",
]


@findings.command()
@click.option("--as-of", type=_DAY, default=None, help="Judge due dates as of this day.")
@format_option
@pass_app
def overdue(app: AppContext, as_of: Any, output_format: str) -> None:
    """Assigned findings past their due date (逾期未整改), oldest due first, and when
    each was escalated (empty: not yet; run `findings escalate`)."""
    today = to_date(as_of) or date.today()
    with app.reader() as uow:
        rows = finding_cases.overdue_findings(uow.connection, today)
    emit(_overdue_rows(rows), _COLUMNS, output_format)


@findings.command()
@click.option("--as-of", type=_DAY, default=None, help="Judge due dates as of this day.")
@operator_option
@format_option
@pass_app
def escalate(app: AppContext, as_of: Any, operator: str, output_format: str) -> None:
    """Escalate every overdue rectification (升级督办): an `escalated` event on each
    finding not yet escalated for its due date; lists them all."""
    today = to_date(as_of) or date.today()
    with app.unit_of_work() as uow:
        from ledger.findings import closing  # pandas: only when used

        rows, fresh = closing.escalate(uow, operator=operator, today=today)
    if output_format == "table":
        click.echo(f"{len(fresh)} finding(s) escalated now; {len(rows)} overdue in all.")
    emit(_overdue_rows(rows), _COLUMNS, output_format)
