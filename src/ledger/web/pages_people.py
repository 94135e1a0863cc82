"""A person's history and search, on the trail's blueprint.

The person page shows ID and card numbers in full only to a role that may unmask, on a
POST, and each time records an audit event (``web.unmask``) naming the operator and the
person. Search is a POST too, so that no ID or card number ends up in a URL.
"""

from typing import Any

from flask import abort, g, render_template, request, url_for

from ledger.db import web_queries
from ledger.db.audit_reads import load_history
from ledger.db.events import record_event
from ledger.history import build_history
from ledger.identity import mask
from ledger.web import guard
from ledger.web.pages_trail import blueprint, findings_table
from ledger.web.render import as_of_arg, show
from ledger.web.runtime import reading, writing
from ledger.web.tables import Column, Table
from ledger.web.trail_links import ACCOUNT, SIGNED_AMOUNT, TRANSACTION, page_links


@blueprint.route("/people/<key>")
@guard.page()
def person(key: str) -> Any:
    return _person(key, unmask=False)


@blueprint.route("/people/<key>/unmask", methods=["POST"])
@guard.page(*guard.UNMASK_ROLES)
def person_unmasked(key: str) -> Any:
    with writing() as uow:
        found = web_queries.recipient_id(uow.connection, key)
        if found is None:
            abort(404)
        record_event(
            uow.connection,
            operator=g.operator.key,
            action="web.unmask",
            subject_type="recipient",
            subject_id=key,
            detail={"remote": request.remote_addr or "", "as_of": request.form.get("as_of")},
        )
        uow.commit()
    return _person(key, unmask=True)


def _person(key: str, *, unmask: bool) -> Any:
    as_of = as_of_arg()
    with reading() as connection:
        recipient = web_queries.recipient_id(connection, key)
        if recipient is None:
            abort(404)
        doc = build_history(load_history(connection, key), as_of=as_of, unmask=unmask)
        about = web_queries.findings_citing(connection, recipient_id=recipient)
    tables = _history_tables(doc)
    tables["findings"] = findings_table(about)
    return show(
        "person.html.j2",
        tables,
        title=f"{doc['recipient']['name']} {key}",
        doc=doc,
        key=key,
        as_of=as_of,
        unmasked=unmask,
    )


def _history_tables(doc: dict[str, Any]) -> dict[str, Table]:
    enrolments = Table(
        "enrolments",
        [
            Column("program", "项目", "program"),
            Column("township", "乡镇", "township"),
            Column("village", "村", "village"),
            Column("amount_fen", "月标准", "monthly", "money"),
            Column("bank", "银行", "bank"),
            Column("account_number", "账号", "account"),
            Column("account_holder", "户名", "holder"),
            Column("status", "状态", "status"),
            Column("since", "自", "since"),
            Column("current", "现行", "current"),
        ],
    )
    for e in doc["enrolments"]:
        enrolments.add({**e, "since": e["valid_from"]["imported_at"][:10]})
    instructions = Table(
        "instructions",
        [
            Column("id", "指令", "instruction", "int"),
            Column("period", "期间", "period"),
            Column("program", "项目", "program"),
            Column("batch_id", "批次", "batch", "int"),
            Column("line_number", "行号", "line", "int"),
            Column("amount_fen", "金额", "amount", "money"),
            Column("account_number", "账号", "account"),
            Column("status", "状态", "status"),
            Column("reason_code", "原因码", "reason"),
        ],
    )
    for i in doc["instructions"]:
        instructions.add(
            {**i, "batch_id": i["batch"]["id"]},
            {
                "id": url_for("trail.instruction", instruction_id=i["id"]),
                "batch_id": url_for("trail.batch", batch_id=i["batch"]["id"]),
            },
        )
    postings = Table(
        "postings",
        [
            TRANSACTION,
            Column("effective_date", "日期", "date"),
            Column("category", "类别", "category"),
            ACCOUNT,
            SIGNED_AMOUNT,
            Column("account_balance_fen", "余额", "balance", "money"),
            Column("instruction_id", "指令", "instruction", "int"),
        ],
    )
    for p in doc["postings"]:
        postings.add(p, page_links(p, "transaction_id", "account", "instruction_id"))
    events = Table(
        "events",
        [
            Column("seq", "序号", "#", "int"),
            Column("date", "日期", "date"),
            Column("kind", "事项", "kind"),
            Column("program", "项目", "program"),
            Column("period", "期间", "period"),
            Column("amount_fen", "金额", "amount", "money"),
            Column("summary", "摘要", "summary"),
        ],
    )
    for e in doc["events"]:
        events.add(e)
    return {
        "events": events,
        "enrolments": enrolments,
        "instructions": instructions,
        "postings": postings,
    }


SEARCH_KINDS = ("id", "card", "name")


@blueprint.route("/search", methods=["GET", "POST"])
@guard.page()
def search() -> Any:
    """By POST, so that no ID or card number ends up in a URL, a log or the history."""
    results = None
    kind = request.form.get("kind", "id")
    if request.method == "POST":
        text = request.form.get("q", "").strip()
        if kind not in SEARCH_KINDS:
            abort(400)
        results = []
        if text:
            with reading() as connection:
                for r in web_queries.search_recipients(connection, kind, text):
                    results.append({**r, "id_number": mask(r["id_number"])})
    return render_template(
        "search.html.j2",
        title="查询" if g.lang != "en" else "Search",
        results=results,
        kind=kind,
    )
