"""Following the money: a payment instruction with its bank-file line, the bank's answer
and its postings; a transaction; a batch and its return files (people and search:
``pages_people``, on the same blueprint). ID and card numbers are masked (first 6 +
last 4) everywhere.
"""

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, g, request, url_for

from ledger import sheets
from ledger.db import web_queries
from ledger.db.batch_trail_reads import load_batch_trail
from ledger.errors import LedgerError
from ledger.history import build_batch_trail
from ledger.identity import mask
from ledger.web import guard
from ledger.web.render import show
from ledger.web.runtime import context, reading
from ledger.web.tables import Column, Table
from ledger.web.trail_links import ACCOUNT, SIGNED_AMOUNT, TRANSACTION, page_links

blueprint = Blueprint("trail", __name__)


def _limit() -> int | None:
    """Rows a page reads: all for a download, one page otherwise."""
    return None if request.args.get("download") else context().settings.page_rows + 1


def findings_table(rows: list[dict[str, Any]]) -> Table:
    from ledger.web.pages_findings import status_label

    table = Table(
        "findings",
        [
            Column("id", "编号", "id", "int"),
            Column("rule", "规则", "rule"),
            Column("period", "期间", "period"),
            Column("status", "状态", "status"),
            Column("amount_fen", "涉及金额", "amount", "money"),
        ],
    )
    for r in rows:
        link = url_for("findings.finding", finding_id=r["id"])
        table.add({**r, "status": status_label(r["status"])}, {"id": link, "rule": link})
    return table


@blueprint.route("/instructions/<int:instruction_id>")
@guard.page()
def instruction(instruction_id: int) -> Any:
    with reading() as connection:
        row = web_queries.instruction(connection, instruction_id)
        if row is None:
            abort(404)
        outcomes = web_queries.instruction_outcomes_of(connection, instruction_id)
        exceptions = web_queries.exceptions_of(connection, instruction_id)
        posted = web_queries.postings_of_instruction(connection, instruction_id)
        reissues = web_queries.reissues_of(connection, instruction_id)
        cited = web_queries.findings_citing(
            connection, recipient_id=int(row["recipient_id"]), instruction_id=instruction_id
        ) + web_queries.findings_of_account_subject(connection, instruction_id)
    answers = Table(
        "bank_answers",
        [
            Column("file_name", "回盘文件", "return file"),
            Column("line", "行号", "line", "int"),
            Column("outcome", "结果", "outcome"),
            Column("reason_code", "原因码", "reason"),
            Column("reason_text", "原因", "reason text"),
            Column("amount_fen", "金额", "amount", "money"),
            Column("recorded_at", "记录时间", "recorded at"),
            TRANSACTION,
        ],
    )
    for o in outcomes:
        file_link = {"file_name": url_for("trail.return_file", file_id=o["return_file_id"])}
        answers.add(
            {**o, "recorded_at": str(o["recorded_at"])[:19]},
            file_link | page_links(o, "transaction_id"),
        )
    postings = _postings_table("postings", posted)
    return show(
        "instruction.html.j2",
        {"bank_answers": answers, "postings": postings, "findings": findings_table(cited)},
        title=f"{'支付指令' if g.lang != 'en' else 'Instruction'} {instruction_id}",
        i=row,
        account=mask(row["account_number"]),
        exceptions=exceptions,
        reissues=reissues,
    )


def _postings_table(name: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(
        name,
        [
            TRANSACTION,
            Column("effective_date", "日期", "date"),
            Column("type", "类型", "type"),
            ACCOUNT,
            SIGNED_AMOUNT,
        ],
    )
    for p in rows:
        row = {**p, "effective_date": str(p["effective_date"])}
        table.add(row, page_links(p, "transaction_id", "account"))
    return table


@blueprint.route("/transactions/<int:tx>")
@guard.page()
def transaction(tx: int) -> Any:
    limit = _limit()
    with reading() as connection:
        head = web_queries.transaction(connection, tx)
        if head is None:
            abort(404)
        rows = web_queries.transaction_postings(connection, tx, limit=limit or 10**12)
    table = Table(
        "postings",
        [
            Column("posting_id", "分录", "posting", "int"),
            ACCOUNT,
            SIGNED_AMOUNT,
            Column("instruction_id", "支付指令", "instruction", "int"),
        ],
        shown=context().settings.page_rows,
    )
    for p in rows:
        table.add(p, page_links(p, "account", "instruction_id"))
    return show(
        "transaction.html.j2",
        {"postings": table},
        title=f"{'记账凭证' if g.lang != 'en' else 'Transaction'} {tx}",
        tx=head,
        more=int(head["posting_count"]) > len(table.visible),
    )


@blueprint.route("/batches/<int:batch_id>")
@guard.page()
def batch(batch_id: int) -> Any:
    limit = _limit()
    with reading() as connection:
        try:
            raw = load_batch_trail(connection, batch_id, with_instructions=False)
        except LedgerError:
            abort(404)
        trail = build_batch_trail(raw, unmask=False)
        lines = web_queries.batch_instructions(connection, batch_id, limit)
    instructions = Table(
        "instructions",
        [
            Column("line_number", "行号", "line", "int"),
            Column("id", "指令", "instruction", "int"),
            Column("end_to_end_id", "EndToEndId", "EndToEndId"),
            Column("recipient_key", "对象", "recipient"),
            Column("township", "乡镇", "township"),
            Column("amount_fen", "金额", "amount", "money"),
            Column("account_number", "账号", "account"),
            Column("account_holder", "户名", "holder"),
            Column("status", "状态", "status"),
            Column("reason_code", "原因码", "reason"),
        ],
        shown=context().settings.page_rows,
    )
    for i in lines:
        instructions.add(
            {**i, "account_number": mask(i["account_number"])},
            {
                "id": url_for("trail.instruction", instruction_id=i["id"]),
                "line_number": url_for("trail.instruction", instruction_id=i["id"]),
                "recipient_key": url_for("trail.person", key=i["recipient_key"]),
            },
        )
    outcomes = Table(
        "outcomes",
        [
            Column("status", "状态", "status"),
            Column("reason_code", "原因码", "reason"),
            Column("count", "笔数", "count", "int"),
            Column("amount_fen", "金额", "amount", "money"),
        ],
    )
    for o in trail["outcomes"]:
        outcomes.add(o)
    returns = Table(
        "return_files",
        [
            Column("id", "编号", "id", "int"),
            Column("file_name", "回盘文件", "return file"),
            Column("format", "格式", "format"),
            Column("imported_by", "导入人", "imported by"),
            Column("imported_at", "导入时间", "imported at"),
            Column("lines", "行数", "lines", "int"),
            Column("settled", "成功", "settled", "int"),
            Column("failed", "失败", "failed", "int"),
        ],
    )
    for f in trail["return_files"]:
        link = url_for("trail.return_file", file_id=f["id"])
        returns.add({**f, "imported_at": (f["imported_at"] or "")[:19]}, {"file_name": link})
    clearing = _clearing_table(trail["clearing"]["lines"])
    return show(
        "batch.html.j2",
        {
            "instructions": instructions,
            "outcomes": outcomes,
            "return_files": returns,
            "clearing": clearing,
        },
        title=f"{'批次' if g.lang != 'en' else 'Batch'} {batch_id}",
        trail=trail,
        b=trail["batch"],
    )


def _clearing_table(lines: list[dict[str, Any]]) -> Table:
    table = Table(
        "clearing",
        [
            TRANSACTION,
            Column("effective_date", "日期", "date"),
            Column("type", "类型", "type"),
            Column("postings", "分录数", "postings", "int"),
            Column("amount_fen", "在途金额变动", "clearing movement", "money"),
        ],
    )
    for c in lines:
        table.add(c, {"transaction_id": url_for("trail.transaction", tx=c["transaction_id"])})
    return table


@blueprint.route("/batches/<int:batch_id>/sheet")
@guard.page()
def batch_sheet(batch_id: int) -> Any:
    """The approval sheet as the checker signed it (a document of its own, with its own
    inline styles: its CSP allows those and nothing else)."""
    with reading() as connection:
        try:
            state = connection.execute(
                sa.text("SELECT state FROM batches WHERE id = :b"), {"b": batch_id}
            ).scalar()
            if state is None:
                abort(404)
            stage = "draft" if state in ("draft", "voided") else "export"
            html = sheets.render_sheet(
                connection, context().county, batch_id, stage=stage, lang=g.lang
            )
        except LedgerError:
            abort(404)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    )
    return response


@blueprint.route("/returns/<int:file_id>")
@guard.page()
def return_file(file_id: int) -> Any:
    limit = _limit()
    with reading() as connection:
        head = web_queries.return_file(connection, file_id)
        if head is None:
            abort(404)
        rows = web_queries.return_lines(connection, file_id, limit)
        counts = web_queries.return_file_counts(connection, file_id)
    table = Table(
        "return_lines",
        [
            Column("line", "行号", "line", "int"),
            Column("end_to_end_id", "EndToEndId", "EndToEndId"),
            Column("instruction_id", "指令", "instruction", "int"),
            Column("outcome", "结果", "outcome"),
            Column("reason_code", "原因码", "reason"),
            Column("amount_fen", "金额", "amount", "money"),
            TRANSACTION,
            Column("exception", "异常", "exception"),
        ],
        shown=context().settings.page_rows,
    )
    for r in rows:
        table.add(r, page_links(r, "instruction_id", "transaction_id"))
    by_batch = Table(
        "return_outcomes",
        [
            Column("batch_id", "批次", "batch", "int"),
            Column("outcome", "结果", "outcome"),
            Column("lines", "行数", "lines", "int"),
            Column("amount_fen", "指令金额", "instructions' amount", "money"),
        ],
    )
    for c in counts:
        by_batch.add(c, {"batch_id": url_for("trail.batch", batch_id=c["batch_id"])})
    return show(
        "return_file.html.j2",
        {"return_lines": table, "return_outcomes": by_batch},
        title=f"{'回盘文件' if g.lang != 'en' else 'Return file'} {head['file_name']}",
        rf=head,
    )
