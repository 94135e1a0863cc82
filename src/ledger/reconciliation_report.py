"""The reconciliation report of one imported return file (statements/reconciliation_report.html.j2).

Self-contained HTML (inline CSS), Chinese by default, English with ``lang="en"``: the
file's totals, each failure with masked identity and reason (ISO code and its Chinese
meaning, and the bank's own words), each anomaly, and the follow-ups due (instructions
of the batches the file concerns that failed and are neither re-issued nor cancelled).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger import wording
from ledger.batches import mask
from ledger.db import reconciliation_status as status_reads
from ledger.db.bulk import fetch_all
from ledger.db.schema import return_files
from ledger.errors import LedgerError
from ledger.money import format_yuan
from ledger.sheets import environment

# ISO 20022 status reason codes: (中文, English).
REASONS = {
    "AC01": ("账号不存在", "account number does not exist"),
    "AC02": ("付款账号无效", "debtor account invalid"),
    "AC04": ("账户已销户", "account closed"),
    "AC06": ("账户冻结或止付", "account blocked or frozen"),
    "AM03": ("币种不支持", "currency not allowed"),
    "AM04": ("余额不足", "insufficient funds"),
    "AM05": ("重复支付", "duplicate payment"),
    "BE01": ("户名不符", "name does not match the account"),
    "FF01": ("文件格式错误", "invalid file format"),
    "MD07": ("户主死亡", "account holder deceased"),
    "RC01": ("银行代码错误", "bank identifier incorrect"),
    "NARR": ("其他原因（见银行说明）", "other reason (see the bank's text)"),
}
KINDS = {
    "unmatched": ("无法匹配", "matches no instruction"),
    "duplicate_confirmation": ("重复或矛盾的确认", "second or contradicting confirmation"),
    "amount_mismatch": ("金额不符", "amount differs"),
    "account_mismatch": ("账号不符", "account differs"),
    "batch_not_exported": ("批次未导出", "batch never exported"),
    "control_total": ("汇总数与明细不符", "control totals contradict the lines"),
}
MAX_ROWS = 2000  # rows listed per section; counts are always complete


def _masked(value: str | None, unmask: bool) -> str:
    return (value or "") if unmask else mask(value)


def report_context(
    connection: sa.Connection, file_id: int, *, unmask: bool = False
) -> dict[str, Any]:
    row = connection.execute(sa.select(return_files).where(return_files.c.id == file_id)).first()
    if row is None:
        raise LedgerError(f"no imported return file {file_id} (see `ledger reconcile status`)")
    totals: dict[str, dict[str, Any]] = {
        str(outcome): {"count": int(n), "amount": format_yuan(int(a or 0), thousands=True)}
        for outcome, n, a in fetch_all(
            connection,
            "SELECT o.outcome, COUNT(*), SUM(i.amount_fen) FROM instruction_outcomes o"
            " JOIN payment_instructions i ON i.id = o.instruction_id"
            " WHERE o.return_file_id = ? GROUP BY o.outcome",
            (file_id,),
        )
    }
    for outcome in ("settled", "failed", "returned", "pending"):
        totals.setdefault(outcome, {"count": 0, "amount": "0.00"})
    failures = [
        {
            "line": line,
            "end_to_end_id": e2e,
            "key": key,
            "name": holder,
            "id_number": _masked(id_number, unmask),
            "account": _masked(account, unmask),
            "amount": format_yuan(int(amount), thousands=True),
            "outcome": outcome,
            "code": code or "NARR",
            "code_zh": REASONS.get(code or "NARR", ("", ""))[0],
            "code_en": REASONS.get(code or "NARR", ("", ""))[1],
            "text": text or "",
            "status": status,
        }
        for line, e2e, key, holder, id_number, account, amount, outcome, code, text, status in (
            fetch_all(
                connection,
                "SELECT o.line, i.end_to_end_id, r.key, i.account_holder, i.id_number,"
                " i.account_number, i.amount_fen, o.outcome, o.reason_code, o.reason_text,"
                " i.status FROM instruction_outcomes o"
                " JOIN payment_instructions i ON i.id = o.instruction_id"
                " JOIN recipients r ON r.id = i.recipient_id"
                " WHERE o.return_file_id = ? AND o.outcome IN ('failed', 'returned')"
                f" ORDER BY o.id LIMIT {MAX_ROWS}",
                (file_id,),
            )
        )
    ]
    anomalies = [
        {
            "line": line,
            "element": element or "",
            "kind": kind,
            "kind_zh": KINDS[kind][0],
            "kind_en": KINDS[kind][1],
            "end_to_end_id": e2e or "",
            "account": _masked(account, unmask),
            "name": holder or "",
            "amount": "" if amount is None else format_yuan(int(amount), thousands=True),
            "detail": detail or "",
            "detail_zh": wording.detail(detail or "", "zh", fallback=KINDS[kind][0]),
        }
        for line, element, kind, e2e, account, holder, amount, detail in fetch_all(
            connection,
            "SELECT line, element, kind, end_to_end_id, account_number, holder_name,"
            " amount_fen, detail FROM reconciliation_exceptions WHERE return_file_id = ?"
            f" ORDER BY id LIMIT {MAX_ROWS}",
            (file_id,),
        )
    ]
    batch_ids = [
        int(b)
        for (b,) in fetch_all(
            connection,
            "SELECT DISTINCT i.batch_id FROM instruction_outcomes o"
            " JOIN payment_instructions i ON i.id = o.instruction_id"
            " WHERE o.return_file_id = ? ORDER BY 1",
            (file_id,),
        )
    ]
    follow_ups: list[dict[str, Any]] = []
    follow_up_count = 0
    if batch_ids:
        ids = ", ".join(str(b) for b in batch_ids)
        follow_up_count = int(
            fetch_all(
                connection,
                "SELECT COUNT(*) FROM payment_instructions"
                f" WHERE batch_id IN ({ids}) AND status = 'failed'",
            )[0][0]
        )
        follow_ups = [
            {
                "batch": int(batch),
                "end_to_end_id": e2e,
                "key": key,
                "name": holder,
                "account": _masked(account, unmask),
                "amount": format_yuan(int(amount), thousands=True),
                "code": code or "NARR",
                "code_zh": REASONS.get(code or "NARR", ("", ""))[0],
                "code_en": REASONS.get(code or "NARR", ("", ""))[1],
            }
            for batch, e2e, key, holder, account, amount, code in fetch_all(
                connection,
                "SELECT i.batch_id, i.end_to_end_id, r.key, i.account_holder,"
                " i.account_number, i.amount_fen, i.reason_code FROM payment_instructions i"
                " JOIN recipients r ON r.id = i.recipient_id"
                f" WHERE i.batch_id IN ({ids}) AND i.status = 'failed'"
                f" ORDER BY i.batch_id, i.line_number LIMIT {MAX_ROWS}",
            )
        ]
    batches = [
        {
            **b,
            "clearing": format_yuan(int(b["clearing_fen"]), thousands=True),
            "state_zh": wording.batch_state(str(b["state"]), "zh"),
        }
        for b in status_reads.batch_summaries(connection, batch_ids)
    ]
    return {
        "file": {
            "id": int(row.id),
            "name": row.file_name,
            "format": row.format,
            "sha256": row.file_sha256,
            "lines": int(row.line_count),
            "exceptions": int(row.exception_count),
            "imported_by": row.imported_by,
            "imported_at": str(row.imported_at)[:19],
        },
        "totals": totals,
        "failures": failures,
        "failure_count": totals["failed"]["count"] + totals["returned"]["count"],
        "anomalies": anomalies,
        "follow_ups": follow_ups,
        "follow_up_count": follow_up_count,
        "batches": batches,
        "max_rows": MAX_ROWS,
        "masked": not unmask,
    }


def render_report(
    connection: sa.Connection, file_id: int, *, lang: str = "zh", unmask: bool = False
) -> str:
    context = report_context(connection, file_id, unmask=unmask)
    template = environment().get_template("reconciliation_report.html.j2")
    return template.render(lang=lang, **context)


def write_report(
    connection: sa.Connection,
    file_id: int,
    out: str | Path,
    *,
    lang: str = "zh",
    unmask: bool = False,
) -> Path:
    path = Path(out)
    if path.is_dir() or not path.suffix:  # a folder
        path = path / f"return-{file_id:06d}-report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(connection, file_id, lang=lang, unmask=unmask), encoding="utf-8")
    return path
