"""A batch's trail for auditors (the JSON of ``ledger audit batch``)."""

from typing import Any

from ledger.history.clock import date_text, iso, money, show, utc

# --- a batch's trail ---------------------------------------------------------------

BATCH_FORMAT = "ledger.audit.batch/1"
INSTRUCTION_COLUMNS = (
    "line_number",
    "id",
    "end_to_end_id",
    "recipient_key",
    "township",
    "village",
    "amount_fen",
    "amount",
    "bank",
    "account_number",
    "account_holder",
    "attempt",
    "reissue_of",
    "status",
    "reason_code",
    "reason_text",
    "settled_at",
    "failed_at",
    "cancelled_at",
)


def build_batch_trail(raw: Any, *, unmask: bool) -> dict[str, Any]:
    """The document of ``ledger audit batch`` (``raw``: ``RawBatchTrail``)."""
    import json

    b = raw.batch
    batch = {
        "id": int(b["id"]),
        "period": b["period"],
        "program": b["program"],
        "bank": b["bank"],
        "kind": b["kind"],
        "sequence": int(b["sequence"]),
        "state": b["state"],
        "instruction_count": int(b["instruction_count"]),
        **money("amount_total", int(b["amount_fen_total"])),
        "created_by": b["created_by"],
        "created_at": iso(utc(b["created_at"])),
        "approved_by": b["approved_by"],
        "approved_at": iso(utc(b["approved_at"])),
        "accrual_transaction_id": b["accrual_transaction_id"],
        "exported_by": b["exported_by"],
        "exported_at": iso(utc(b["exported_at"])),
        "funding_transaction_id": b["funding_transaction_id"],
        "profile": b["profile"],
        "file_name": b["file_name"],
        "file_sha256": b["file_sha256"],
        "pay_date": date_text(b["pay_date"]),
        "voided_by": b["voided_by"],
        "voided_at": iso(utc(b["voided_at"])),
        "void_reason": b["void_reason"],
        "void_transaction_id": b["void_transaction_id"],
    }
    clearing_lines = [
        {
            "transaction_id": int(c["transaction_id"]),
            "effective_date": date_text(c["effective_date"]),
            "type": c["type"],
            "operator": c["operator"],
            "postings": int(c["postings"]),
            **money("amount", int(c["amount_fen"])),
        }
        for c in raw.clearing
    ]
    clearing_total = sum(int(c["amount_fen"]) for c in raw.clearing)
    instructions = []
    for i in raw.instructions:
        instructions.append(
            {
                "line_number": int(i["line_number"]),
                "id": int(i["id"]),
                "end_to_end_id": i["end_to_end_id"],
                "recipient_key": i["recipient_key"],
                "township": i["township"],
                "village": i["village"],
                **money("amount", int(i["amount_fen"])),
                "bank": i["bank"],
                "account_number": show(i["account_number"], unmask),
                "account_holder": i["account_holder"],
                "attempt": int(i["attempt"]),
                "reissue_of": i["reissue_of"],
                "status": i["status"],
                "reason_code": i["reason_code"],
                "reason_text": i["reason_text"],
                "settled_at": iso(utc(i["settled_at"])),
                "failed_at": iso(utc(i["failed_at"])),
                "cancelled_at": iso(utc(i["cancelled_at"])),
            }
        )
    return {
        "format": BATCH_FORMAT,
        "masked": not unmask,
        "batch": batch,
        "events": [
            {
                "at": iso(utc(e["occurred_at"])),
                "operator": e["operator"],
                "action": e["action"],
                "detail": json.loads(e["detail"]) if e["detail"] else {},
            }
            for e in raw.events
        ],
        "outcomes": [
            {
                "status": s["status"],
                "reason_code": s["reason_code"],
                "count": int(s["count"]),
                **money("amount", int(s["amount_fen"])),
            }
            for s in raw.status_counts
        ],
        "return_files": [
            {
                "id": int(f["id"]),
                "file_name": f["file_name"],
                "file_sha256": f["file_sha256"],
                "format": f["format"],
                "imported_by": f["imported_by"],
                "imported_at": iso(utc(f["imported_at"])),
                "lines": int(f["lines"]),
                "settled": int(f["settled"] or 0),
                "failed": int(f["failed"] or 0),
                "pending": int(f["pending"] or 0),
                "returned": int(f["returned"] or 0),
            }
            for f in raw.return_files
        ],
        "clearing": {"lines": clearing_lines, **money("balance", clearing_total)},
        "instructions": instructions,
    }
