"""``ledger findings``: run the exception rules and follow each finding until it is fixed."""

import json
from typing import Any

import click

from ledger.batches import mask
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
from ledger.money import format_yuan, parse_yuan

_DAY = DAY


@click.group()
def findings() -> None:
    """Exception findings (问题线索): withheld, diverted, misappropriated funds and
    fluctuations; detection, assignment, rectification and verification (整改销号)."""


@findings.command()
@click.option("--period", default=None, help="Period YYYY-MM (default: the latest batch's).")
@click.option("--rule", "rules", multiple=True, help="Run only this rule (repeatable): W01...")
@click.option("--as-of", type=_DAY, default=None, help="Judge ages as of this day (default today).")
@county_option
@operator_option
@format_option
@pass_app
def detect(
    app: AppContext,
    period: str | None,
    rules: tuple[str, ...],
    as_of: Any,
    county: County,
    operator: str,
    output_format: str,
) -> None:
    """Run the rules for a period and store the findings. Running again finds the same
    findings (updated), never duplicates; a verified finding found again is reopened."""
    from ledger.findings import RULES, service

    with app.unit_of_work() as uow:
        period, runs = service.detect(
            uow, county, operator=operator, period=period, rules=rules, as_of=to_date(as_of)
        )
    titles = {rule.id: rule.title_zh for rule in RULES}
    rows = [
        {
            "rule": r.rule,
            "title": titles.get(r.rule, ""),
            "found": r.found,
            "new": r.new,
            "reopened": r.reopened,
            "amount_at_risk": format_yuan(r.amount_fen, thousands=True),
            "amount_fen": r.amount_fen,
            "seconds": round(r.seconds, 3),
        }
        for r in runs
    ]
    if output_format == "table":
        click.echo(f"Findings for {period}:")
    emit(
        rows,
        ["rule", "title", "found", "new", "reopened", "amount_at_risk", "seconds"],
        output_format,
    )


def _row(finding: dict[str, Any], unmask: bool) -> dict[str, Any]:
    subject = finding["subject_id"]
    if finding["subject_type"] == "account" and not subject.startswith("Assets:") and not unmask:
        subject = mask(subject)
    return {
        "id": finding["id"],
        "rule": finding["rule"],
        "category": finding["category"],
        "severity": finding["severity"],
        "period": finding["period"],
        "subject": f"{finding['subject_type']}:{subject}",
        "township": finding["township"] or "",
        "amount_at_risk": format_yuan(int(finding["amount_fen"]), thousands=True),
        "amount_fen": int(finding["amount_fen"]),
        "recovered_fen": int(finding["recovered_fen"]),
        "written_off_fen": int(finding.get("written_off_fen") or 0),
        "write_off_pending_fen": finding.get("write_off_pending_fen"),
        "status": finding["status"],
        "owner": finding["owner"] or "",
        "due_date": finding["due_date"],
        "summary": finding["summary"],
    }


def _case_row(case: dict[str, Any], unmask: bool) -> dict[str, Any]:
    first = _row({**case, "id": case["case"], "severity": "", "period": "", "summary": ""}, unmask)
    return {
        "case": case["case"],
        "rule": case["rule"],
        "subject": first["subject"],
        "program": case["program"] or "",
        "township": case["township"] or "",
        "months": ",".join(case["periods"]),
        "findings": ",".join(str(i) for i in case["findings"]),
        "amount_total": format_yuan(case["amount_fen"], thousands=True),
        "amount_fen": case["amount_fen"],
        "recovered_fen": case["recovered_fen"],
        "written_off_fen": case["written_off_fen"],
        "status": case["status"],
        "owner": case["owner"] or "",
        "due_date": case["due_date"],
    }


@findings.command("list")
@click.option(
    "--by",
    type=click.Choice(["finding", "case"]),
    default="finding",
    show_default=True,
    help="One row per finding (a period), or per case: the same subject and rule over "
    "every month it was found, with its months, total and status.",
)
@click.option("--period", default=None, help="Only this period (YYYY-MM).")
@click.option("--rule", default=None, help="Only this rule.")
@click.option(
    "--category",
    type=click.Choice(["withheld", "diverted", "misappropriated", "fluctuation"]),
    default=None,
    help="Only this category.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["open", "assigned", "rectified", "verified", "dismissed"]),
    help="Only these statuses (repeatable).",
)
@click.option("--township", default=None, help="Only this township code.")
@unmask_option
@format_option
@pass_app
def list_(
    app: AppContext,
    by: str,
    period: str | None,
    rule: str | None,
    category: str | None,
    statuses: tuple[str, ...],
    township: str | None,
    unmask: bool,
    output_format: str,
) -> None:
    """List findings, or with --by case the cases they make (account numbers masked
    unless --unmask). With --by case the filters choose the findings grouped: a case
    found in 2026-10 and 2026-11 shows both months unless --period narrows it."""
    from ledger.db import finding_cases, findings_store

    with app.reader() as uow:
        rows = findings_store.list_findings(
            uow.connection,
            period=period,
            rule=rule.upper() if rule else None,
            category=category,
            statuses=statuses or None,
            township=township,
        )
    if by == "case":
        emit(
            [_case_row(c, unmask) for c in finding_cases.group_cases(rows)],
            [
                "case",
                "rule",
                "subject",
                "months",
                "findings",
                "amount_total",
                "status",
                "owner",
                "due_date",
            ],
            output_format,
        )
        return
    emit(
        [_row(r, unmask) for r in rows],
        [
            "id",
            "rule",
            "period",
            "subject",
            "township",
            "amount_at_risk",
            "status",
            "owner",
            "due_date",
            "summary",
        ],
        output_format,
    )


@findings.command()
@click.argument("finding_id", type=int)
@unmask_option
@format_option
@pass_app
def show(app: AppContext, finding_id: int, unmask: bool, output_format: str) -> None:
    """One finding: what was found, its evidence and everything done about it."""
    from ledger.db import findings_store

    with app.reader() as uow:
        row = findings_store.load(uow.connection, finding_id)
        history = findings_store.events(uow.connection, finding_id)
    finding = _row(dict(row._mapping), unmask)
    evidence = json.loads(row.evidence)
    if output_format == "json":
        click.echo(
            json.dumps(
                {**finding, "evidence": evidence, "events": history},
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
        return
    for key, value in finding.items():
        click.echo(f"{key:15} {'' if value is None else value}")
    click.echo(f"{'recipient':15} {row.recipient_key or ''}")
    click.echo(f"{'evidence':15} {json.dumps(evidence, ensure_ascii=False, default=str)}")
    click.echo("history:")
    emit(history, ["occurred_at", "operator", "action", "note", "transaction_id"], output_format)


@findings.command()
@click.argument("finding_id", type=int)
@click.option("--owner", required=True, help="Who must fix it (责任人).")
@click.option("--due", type=_DAY, required=True, help="Rectify by this day (YYYY-MM-DD).")
@click.option("--note", default=None, help="Free text kept with the assignment.")
@operator_option
@pass_app
def assign(
    app: AppContext, finding_id: int, owner: str, due: Any, note: str | None, operator: str
) -> None:
    """Assign a finding to an owner with a due date (责任到人, 限时整改)."""
    from ledger.findings import service

    with app.unit_of_work() as uow:
        service.assign(uow, finding_id, owner=owner, due=due.date(), operator=operator, note=note)
    click.echo(f"Finding {finding_id} assigned to {owner}, due {due.date()}.")


@findings.command()
@click.argument("finding_id", type=int)
@click.option("--note", required=True, help="What was done (e.g. recovery entry posted).")
@operator_option
@pass_app
def rectify(app: AppContext, finding_id: int, note: str, operator: str) -> None:
    """Record what was done to fix a finding; `verify` then checks it stays fixed."""
    from ledger.findings import service

    with app.unit_of_work() as uow:
        service.rectify(uow, finding_id, note=note, operator=operator)
    click.echo(f"Finding {finding_id} rectified; run `ledger findings verify {finding_id}`.")


@findings.command()
@click.argument("finding_id", type=int)
@click.option("--reason", required=True, help="Why this is not a problem.")
@operator_option
@pass_app
def dismiss(app: AppContext, finding_id: int, reason: str, operator: str) -> None:
    """Dismiss a finding with the reason (it stays on record)."""
    from ledger.findings import service

    with app.unit_of_work() as uow:
        service.dismiss(uow, finding_id, reason=reason, operator=operator)
    click.echo(f"Finding {finding_id} dismissed.")


@findings.command()
@click.argument("finding_id", type=int)
@click.option("--as-of", type=_DAY, default=None, help="Judge ages as of this day.")
@click.option(
    "--case",
    "whole_case",
    is_flag=True,
    default=False,
    help="Verify every finding of FINDING_ID's case (the same subject and rule, all "
    "months) that is not closed yet.",
)
@county_option
@operator_option
@pass_app
def verify(
    app: AppContext,
    finding_id: int,
    as_of: Any,
    whole_case: bool,
    county: County,
    operator: str,
) -> None:
    """Run the finding's rule again (回头看): close it only if the condition is gone (a
    payment after death, M01: once its money is recovered or written off)."""
    from ledger.db import finding_cases
    from ledger.findings import service

    ids = [finding_id]
    if whole_case:
        with app.reader() as uow:
            ids = [
                int(r["id"])
                for r in finding_cases.case_findings(uow.connection, finding_id)
                if r["status"] not in ("verified", "dismissed")
            ]
        if not ids:
            click.echo(f"The case of finding {finding_id} has nothing left to verify.")
            return
    for one in ids:
        with app.unit_of_work() as uow:
            closed = service.verify(uow, county, one, operator=operator, as_of=to_date(as_of))
            note = service.verify_note(uow.connection, one)
        if closed:
            click.echo(f"Finding {one} verified: {note}.")
        else:
            click.echo(f"Finding {one} is not fixed: the rule still sees it ({note}).")


@findings.command()
@click.argument("finding_id", type=int)
@click.option("--amount", required=True, help="Amount to recover in yuan (e.g. 600.00).")
@click.option("--date", "day", type=_DAY, default=None, help="Entry date (default today).")
@operator_option
@pass_app
def recover(app: AppContext, finding_id: int, amount: str, day: Any, operator: str) -> None:
    """Post the recovery receivable (追缴) for a finding: Dr Assets:Receivable:Recovery:{r}
    / Cr Expenses:Assistance:{program}:{township}."""
    from ledger.findings import recovery

    try:
        amount_fen = parse_yuan(amount)
    except ValueError as error:
        raise click.BadParameter(f"not a yuan amount: {error}", param_hint="--amount") from None
    with app.unit_of_work() as uow:
        tx = recovery.recover(
            uow, finding_id, amount_fen=amount_fen, operator=operator, day=to_date(day)
        )
    click.echo(f"Recovery of {format_yuan(amount_fen)} yuan posted as transaction {tx}.")


@findings.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="Output format.",
)
def rules(output_format: str) -> None:
    """Print the rule catalogue (id, category, titles, data, checks, thresholds)."""
    from ledger.findings import RULES
    from ledger.findings.catalogue import catalogue_markdown

    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "category": r.category,
                        "title_zh": r.title_zh,
                        "title_en": r.title_en,
                        "data": list(r.data),
                        "checks": r.checks,
                        "thresholds": list(r.thresholds),
                        "subject": r.subject,
                        "severity": r.severity,
                        "amount": r.amount,
                    }
                    for r in RULES
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(catalogue_markdown(), nl=False)
