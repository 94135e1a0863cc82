"""The overview, the findings list, one finding, and the lifecycle's writing forms.

The forms call the services of ``ledger findings`` (``ledger.findings.service``) with the
role the same command needs (``COMMAND_ROLES``); the refusal of a service (a finding in
the wrong status, a missing reason) is shown on the form and nothing changes.
"""

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from ledger import wording
from ledger.db import findings_store, web_queries
from ledger.db.schema.findings import FINDING_STATUSES as STATUSES
from ledger.errors import LedgerError
from ledger.findings import CATEGORIES, CATEGORY_TITLES, RULES_BY_ID, service
from ledger.findings.report import STATUS_ZH
from ledger.findings.report import _finding as finding_view
from ledger.web import guard
from ledger.web.render import show
from ledger.web.runtime import context, reading, writing
from ledger.web.tables import Column, Table
from ledger.web.trail_links import TRANSACTION, page_links

blueprint = Blueprint("findings", __name__)


def status_label(status: str) -> str:
    return status if g.lang == "en" else STATUS_ZH.get(status, status)


def _period(connection: Any) -> str | None:
    chosen = request.args.get("period")
    known = web_queries.periods(connection)
    if chosen in known:
        return chosen
    return known[0] if known else None


@blueprint.route("/")
@guard.page()
def overview() -> Any:
    ctx = context()
    with reading() as connection:
        period = _period(connection)
        flows = web_queries.treasury_flows(connection, period) if period else []
        counts = web_queries.findings_by_category(connection, period) if period else []
        periods = web_queries.periods(connection)
    money = Table(
        "treasury",
        [
            Column("account", "专户", "treasury account"),
            Column("allocated", "拨入", "allocated in", "money"),
            Column("to_banks", "拨付银行", "handed to banks", "money"),
            Column("back", "退回专户", "back from banks", "money"),
            Column("other_in", "其他转入", "other in", "money"),
            Column("other_out", "其他转出", "other out", "money"),
        ],
    )
    by_account: dict[str, dict[str, int]] = {}
    for f in flows:
        entry = by_account.setdefault(
            f["account"],
            {"allocated": 0, "to_banks": 0, "back": 0, "other_in": 0, "other_out": 0},
        )
        debit, credit = int(f["debit_fen"] or 0), int(f["credit_fen"] or 0)
        if f["type"] == "allocation":
            entry["allocated"] += debit
            entry["other_out"] += credit
        elif f["type"] == "funding":
            entry["to_banks"] += credit
            entry["other_in"] += debit
        elif f["type"] == "reconciliation":
            entry["back"] += debit
            entry["other_out"] += credit
        else:
            entry["other_in"] += debit
            entry["other_out"] += credit
    totals = {k: 0 for k in ("allocated", "to_banks", "back", "other_in", "other_out")}
    for account, entry in by_account.items():
        link = url_for("money.account", name=account, period=period)
        money.add(
            {"account": _label(account), **entry},
            {k: link for k in ("account", *entry)},
        )
        for k, v in entry.items():
            totals[k] += v
    found = Table(
        "findings_by_category",
        [
            Column("category", "类别", "category"),
            *[Column(s, STATUS_ZH[s], s, "int") for s in STATUSES],
            Column("count", "合计", "total", "int"),
            Column("amount_fen", "涉及金额", "amount", "money"),
        ],
    )
    for category in CATEGORIES:
        rows = [c for c in counts if c["category"] == category]
        values: dict[str, Any] = {s: 0 for s in STATUSES}
        for c in rows:
            values[c["status"]] = int(c["count"])
        values["count"] = sum(int(c["count"]) for c in rows)
        values["amount_fen"] = sum(int(c["amount_fen"] or 0) for c in rows)
        zh, en = CATEGORY_TITLES[category]
        base = url_for("findings.listing", period=period, category=category)
        links = {
            s: url_for("findings.listing", period=period, category=category, status=s)
            for s in STATUSES
        }
        found.add(
            {"category": en if g.lang == "en" else zh, **values},
            {"category": base, "count": base, "amount_fen": base, **links},
        )
    return show(
        "overview.html.j2",
        {"treasury": money, "findings_by_category": found},
        title="总览" if g.lang != "en" else "Overview",
        period=period,
        periods=periods,
        totals=totals,
        chain=ctx.chain.state,
    )


def _label(account: str) -> str:
    return wording.account_label(context().county, account, g.lang)


FINDING_COLUMNS = [
    Column("id", "编号", "id", "int"),
    Column("rule", "规则", "rule"),
    Column("title", "问题类型", "title"),
    Column("period", "期间", "period"),
    Column("subject", "对象", "subject"),
    Column("name", "姓名", "name"),
    Column("township", "乡镇", "township"),
    Column("amount_fen", "涉及金额", "amount", "money"),
    Column("status", "状态", "status"),
    Column("owner", "责任人", "owner"),
    Column("due_date", "整改期限", "due date"),
]


@blueprint.route("/findings")
@guard.page()
def listing() -> Any:
    ctx = context()
    args = request.args
    filters = {
        "period": args.get("period") or None,
        "rule": (args.get("rule") or "").upper() or None,
        "category": args.get("category") if args.get("category") in CATEGORIES else None,
        "township": args.get("township") or None,
    }
    status = args.get("status") if args.get("status") in STATUSES else None
    with reading() as connection:
        rows = findings_store.list_findings(
            connection, statuses=[status] if status else None, **filters
        )
        choices = web_queries.filter_choices(connection)
        periods = web_queries.periods(connection)
    names = {code: t.name for code, t in ctx.county.townships.items()}
    table = Table("findings", FINDING_COLUMNS, shown=ctx.settings.page_rows)
    for r in rows:
        view = finding_view(ctx.county, r, names, g.lang != "en")
        link = url_for("findings.finding", finding_id=r["id"])
        links = {"id": link, "title": link}
        if r["recipient_key"]:
            links["name"] = url_for("trail.person", key=r["recipient_key"])
        table.add(
            {
                **view,
                "period": r["period"],
                "status": status_label(r["status"]),
                "due_date": str(r["due_date"] or ""),
            },
            links,
        )
    return show(
        "findings.html.j2",
        {"findings": table},
        title="问题线索" if g.lang != "en" else "Findings",
        filters={**filters, "status": status},
        choices=choices,
        periods=periods,
        statuses=STATUSES,
        categories=[(c, CATEGORY_TITLES[c]) for c in CATEGORIES],
        status_label=status_label,
    )


def _load(connection: Any, finding_id: int) -> dict[str, Any]:
    try:
        row = findings_store.load(connection, finding_id)
    except LedgerError:
        abort(404)
    return dict(row._mapping)


@blueprint.route("/findings/<int:finding_id>")
@guard.page()
def finding(finding_id: int) -> Any:
    ctx = context()
    with reading() as connection:
        row = _load(connection, finding_id)
        person = None
        if row["recipient_id"] is not None:
            person = connection.execute(
                sa.text('SELECT "key", name, id_number FROM recipients WHERE id = :i'),
                {"i": row["recipient_id"]},
            ).first()
        events = findings_store.events(connection, finding_id)
    row.update(
        recipient_name=person.name if person else None,
        id_number=person.id_number if person else None,
    )
    names = {code: t.name for code, t in ctx.county.townships.items()}
    view = finding_view(ctx.county, row, names, g.lang != "en")
    evidence = json.loads(row["evidence"])
    history = Table(
        "finding_events",
        [
            Column("occurred_at", "时间", "at"),
            Column("operator", "经办人", "operator"),
            Column("action", "操作", "action"),
            Column("note", "说明", "note"),
            TRANSACTION,
        ],
    )
    for e in events:
        history.add(
            {**e, "occurred_at": str(e["occurred_at"])[:19]}, page_links(e, "transaction_id")
        )
    lines = [line for line in evidence.get("lines") or [] if line.get("return_file_id") is not None]
    return show(
        "finding.html.j2",
        {"finding_events": history},
        title=f"{'线索' if g.lang != 'en' else 'Finding'} {finding_id}",
        f=row,
        view=view,
        rule=RULES_BY_ID.get(row["rule"]),
        evidence=evidence,
        lines=lines,
        status=status_label(row["status"]),
        actions=[a for a in ACTIONS if row["status"] in service.TRANSITIONS[a]],
    )


ACTIONS = ("assign", "rectify", "verify", "dismiss")


def _action_form(finding_id: int, name: str, perform: Any) -> Any:
    with reading() as connection:
        row = _load(connection, finding_id)
    error = None
    if request.method == "POST":
        try:
            with writing() as uow:
                perform(uow, g.operator.key, request.form)
        except LedgerError as refused:
            error = str(refused)
        else:
            return redirect(url_for("findings.finding", finding_id=finding_id))
    return render_template(
        "finding_action.html.j2",
        title=f"{name} {finding_id}",
        f=row,
        name=name,
        error=error,
        form=request.form,
        status=status_label(row["status"]),
    ), (400 if error else 200)


def _due(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LedgerError(f"due date {text!r}: give a day as YYYY-MM-DD") from None


# What each writing form does with what was sent (as the CLI command of the same name).
_PERFORM: dict[str, Callable[[Any, int, str, Any], object]] = {
    "assign": lambda uow, finding_id, who, form: service.assign(
        uow,
        finding_id,
        owner=form.get("owner", ""),
        due=_due(form.get("due", "")),
        operator=who,
        note=form.get("note") or None,
    ),
    "rectify": lambda uow, finding_id, who, form: service.rectify(
        uow, finding_id, note=form.get("note", ""), operator=who
    ),
    "dismiss": lambda uow, finding_id, who, form: service.dismiss(
        uow, finding_id, reason=form.get("reason", ""), operator=who
    ),
    "verify": lambda uow, finding_id, who, form: service.verify(
        uow, context().county, finding_id, operator=who
    ),
}


def _action_view(name: str) -> Callable[[int], Any]:
    """The form ``/findings/<id>/<name>``, with the role of ``findings <name>``."""

    def view(finding_id: int) -> Any:
        return _action_form(
            finding_id,
            name,
            lambda uow, who, form: _PERFORM[name](uow, finding_id, who, form),
        )

    view.__name__ = name
    return guard.action(f"findings {name}")(view)


for _name in ACTIONS:
    blueprint.add_url_rule(
        f"/findings/<int:finding_id>/{_name}",
        endpoint=_name,
        view_func=_action_view(_name),
        methods=["GET", "POST"],
    )
