"""Payment instructions and bank outcomes in a person's history, status as of a date."""

from datetime import datetime
from typing import Any

from ledger.history.clock import date_text, is_known, iso, local_date, money, show, utc
from ledger.money import format_yuan


def no_amount() -> dict[str, Any]:
    return {"amount_fen": None, "amount": None}


def _status_as_of(
    row: dict[str, Any],
    outcomes: list[dict[str, Any]],
    reissue_created: datetime | None,
    cutoff: datetime | None,
) -> tuple[str, str | None, str | None]:
    """(status, reason_code, reason_text) as known before ``cutoff``."""
    if cutoff is None:
        return str(row["status"]), row["reason_code"], row["reason_text"]
    changes: list[tuple[datetime, str, str | None, str | None]] = []
    for column, status in (
        ("settled_at", "settled"),
        ("failed_at", "failed"),
        ("cancelled_at", "cancelled"),
        ("batch_voided_at", "voided"),
    ):
        at = utc(row[column])
        if at is not None and at < cutoff:
            reason = (
                (row["reason_code"], row["reason_text"]) if status != "settled" else (None, None)
            )
            changes.append((at, status, *reason))
    for outcome in outcomes:
        at = utc(outcome["recorded_at"])
        if at is not None and outcome["outcome"] != "pending":
            status = "failed" if outcome["outcome"] == "returned" else str(outcome["outcome"])
            changes.append((at, status, outcome["reason_code"], outcome["reason_text"]))
    if reissue_created is not None and reissue_created < cutoff:
        changes.append((reissue_created, "reissued", None, None))
    if not changes:
        return "pending", None, None
    changes.sort(key=lambda c: c[0])
    at, status, code, text = changes[-1]
    if status == "reissued":  # keep the failure's reason
        failure = [c for c in changes if c[1] == "failed"]
        if failure:
            code, text = failure[-1][2], failure[-1][3]
    return status, code, text


def instruction_events(
    rows: list[dict[str, Any]],
    outcomes: list[dict[str, Any]],
    reissued_by: dict[int, int],
    cutoff: datetime | None,
    unmask: bool,
    add: Any,
) -> list[dict[str, Any]]:
    created_at = {int(r["id"]): utc(r["batch_created_at"]) for r in rows}
    by_instruction: dict[int, list[dict[str, Any]]] = {}
    for o in outcomes:
        by_instruction.setdefault(int(o["instruction_id"]), []).append(o)
    out = []
    seen_batches: set[tuple[int, str]] = set()
    for row in rows:
        iid = int(row["id"])
        successor = reissued_by.get(iid)
        status, code, text = _status_as_of(
            row,
            by_instruction.get(iid, []),
            None if successor is None else created_at.get(successor),
            cutoff,
        )
        known = {
            name: iso(utc(row[name])) if is_known(row[name], cutoff) else None
            for name in ("settled_at", "failed_at", "cancelled_at")
        }
        batch = {
            "id": int(row["batch_id"]),
            "period": row["period"],
            "program": row["program"],
            "kind": row["batch_kind"],
            "created_by": row["batch_created_by"],
            "created_at": iso(utc(row["batch_created_at"])),
            "approved_by": row["batch_approved_by"]
            if is_known(row["batch_approved_at"], cutoff)
            else None,
            "approved_at": iso(utc(row["batch_approved_at"]))
            if is_known(row["batch_approved_at"], cutoff)
            else None,
        }
        exported = is_known(row["batch_exported_at"], cutoff)
        batch.update(
            {
                "exported_by": row["batch_exported_by"] if exported else None,
                "exported_at": iso(utc(row["batch_exported_at"])) if exported else None,
                "file_name": row["batch_file_name"] if exported else None,
                "file_sha256": row["batch_file_sha256"] if exported else None,
                "pay_date": date_text(row["batch_pay_date"]) if exported else None,
                "voided_at": iso(utc(row["batch_voided_at"]))
                if is_known(row["batch_voided_at"], cutoff)
                else None,
            }
        )
        doc = {
            "id": iid,
            "entitlement_id": int(row["entitlement_id"]),
            "period": row["period"],
            "program": row["program"],
            "attempt": int(row["attempt"]),
            "end_to_end_id": row["end_to_end_id"],
            "line_number": int(row["line_number"]),
            **money("amount", int(row["amount_fen"])),
            "bank": row["bank"],
            "account_number": show(row["account_number"], unmask),
            "account_holder": row["account_holder"],
            "status": status,
            "reason_code": code,
            "reason_text": text,
            **known,
            "reissue_of": None if row["reissue_of"] is None else int(row["reissue_of"]),
            "reissued_by": successor,
            "batch": batch,
        }
        out.append(doc)
        created = utc(row["batch_created_at"])
        assert created is not None
        what = f"re-issue of instruction {row['reissue_of']}, " if row["reissue_of"] else ""
        add(
            local_date(created),
            created,
            kind="instruction",
            program=row["program"],
            period=row["period"],
            **money("amount", int(row["amount_fen"])),
            summary=f"{what}instruction {iid} attempt {row['attempt']} in batch {row['batch_id']}"
            f" ({row['batch_kind']}) line {row['line_number']}, E2E {row['end_to_end_id']},"
            f" to {row['bank']} {doc['account_number']} ({row['account_holder']});"
            f" created by {row['batch_created_by']}",
            ref={"instruction_id": iid, "batch_id": int(row["batch_id"])},
        )
        bid = int(row["batch_id"])
        steps = [
            ("approved", row["batch_approved_at"], f"approved by {row['batch_approved_by']}"),
            (
                "exported",
                row["batch_exported_at"],
                f"bank file {row['batch_file_name']} (SHA-256 {row['batch_file_sha256']})"
                f" exported by {row['batch_exported_by']}, pay date {row['batch_pay_date']}",
            ),
            ("voided", row["batch_voided_at"], f"voided by {row['batch_voided_by']}"),
        ]
        for step, moment, text_ in steps:
            if (bid, step) in seen_batches or not is_known(moment, cutoff):
                continue
            seen_batches.add((bid, step))
            at = utc(moment)
            assert at is not None
            add(
                local_date(at),
                at,
                kind=f"batch_{step}",
                program=row["program"],
                period=row["period"],
                **no_amount(),
                summary=f"batch {bid} {text_}",
                ref={"batch_id": bid},
            )
        # Outcomes known only from the instruction's columns (no return-file line).
        recorded = {o["outcome"] for o in by_instruction.get(iid, [])}
        for column, outcome in (("settled_at", "settled"), ("failed_at", "failed")):
            at = utc(row[column])
            if at is None or outcome in recorded or not is_known(at, cutoff):
                continue
            reason = (
                f" {row['reason_code'] or ''} {row['reason_text'] or ''}".rstrip()
                if outcome == "failed"
                else ""
            )
            add(
                local_date(at),
                at,
                kind="bank_outcome",
                program=row["program"],
                period=row["period"],
                **money("amount", int(row["amount_fen"])),
                summary=f"instruction {iid} {outcome}{reason}",
                ref={"instruction_id": iid},
            )
        at = utc(row["cancelled_at"])
        if at is not None and is_known(at, cutoff):
            add(
                local_date(at),
                at,
                kind="cancellation",
                program=row["program"],
                period=row["period"],
                **money("amount", int(row["amount_fen"])),
                summary=f"instruction {iid} cancelled"
                + (
                    f" ({row['reason_code']} {row['reason_text'] or ''})".rstrip()
                    if row["reason_code"]
                    else ""
                ),
                ref={"instruction_id": iid},
            )
    return out


def outcome_events(outcomes: list[dict[str, Any]], add: Any) -> list[dict[str, Any]]:
    out = []
    for o in outcomes:
        at = utc(o["recorded_at"])
        assert at is not None
        amount = None if o["amount_fen"] is None else int(o["amount_fen"])
        doc = {
            "id": int(o["id"]),
            "instruction_id": int(o["instruction_id"]),
            "outcome": o["outcome"],
            "reason_code": o["reason_code"],
            "reason_text": o["reason_text"],
            "amount_fen": amount,
            "amount": None if amount is None else format_yuan(amount),
            "transaction_id": None if o["transaction_id"] is None else int(o["transaction_id"]),
            "recorded_at": iso(at),
            "return_file": {
                "id": int(o["return_file_id"]),
                "file_name": o["file_name"],
                "file_sha256": o["file_sha256"],
                "format": o["format"],
                "line": o["line"],
                "element": o["element"],
                "imported_by": o["imported_by"],
                "imported_at": iso(utc(o["imported_at"])),
            },
        }
        out.append(doc)
        reason = " ".join(x for x in (o["reason_code"], o["reason_text"]) if x)
        where = f"line {o['line']}" if o["line"] is not None else (o["element"] or "")
        add(
            local_date(at),
            at,
            kind="bank_outcome",
            program=None,
            period=None,
            amount_fen=amount,
            amount=doc["amount"],
            summary=f"instruction {o['instruction_id']} {o['outcome']}"
            + (f" {reason}" if reason else "")
            + f" (return file {o['file_name']} {where}, SHA-256 {o['file_sha256']},"
            f" imported by {o['imported_by']})",
            ref={
                "instruction_id": int(o["instruction_id"]),
                "return_file_id": doc["return_file"]["id"],
            },
        )
    return out
