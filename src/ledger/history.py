"""One person's history as auditors read it: the cut at a date, the timeline, balances.

Pure functions over the rows ``ledger.db.history.load_history`` returns. The cut
``as_of`` keeps what was known at the end of that day (China time): roster versions by
their import time, entitlements and instructions by their batch's creation, bank
outcomes by the time they were recorded, postings by their effective date. An
instruction's status as of the date is rebuilt from the recorded times (settled_at,
failed_at, cancelled_at, its outcomes, the creation of its re-issue, its batch's void).

The document is the stable JSON of ``ledger audit history`` (docs/audit.md): amounts are
``*_fen`` integers with a yuan text beside them, times ISO 8601 in UTC, dates ISO.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from ledger.db.history import RawHistory
from ledger.identity import mask
from ledger.money import format_yuan

FORMAT = "ledger.audit.history/1"
CHINA_TIME = timezone(timedelta(hours=8))
PAYABLE = "Liabilities:Payable:"
RECOVERY = "Assets:Receivable:Recovery:"

ENROLMENT_FIELDS = (
    "township",
    "village",
    "household_id",
    "household_size",
    "amount_fen",
    "bank",
    "account_number",
    "account_holder",
    "start_month",
    "end_month",
    "exit_date",
    "status",
)
ACCOUNT_FIELDS = frozenset({"bank", "account_number", "account_holder"})


def utc(value: Any) -> datetime | None:
    """Database timestamps as aware UTC datetimes (SQLite returns them naive, in UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cutoff_for(as_of: date | None) -> datetime | None:
    """The first moment after ``as_of`` (midnight China time, as UTC)."""
    if as_of is None:
        return None
    return datetime.combine(as_of + timedelta(days=1), time(0), CHINA_TIME).astimezone(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA_TIME).date()


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def money(prefix: str, fen: int) -> dict[str, Any]:
    """``{prefix}_fen`` (int) and ``{prefix}`` (yuan text)."""
    return {f"{prefix}_fen": fen, prefix: format_yuan(fen)}


def _known(moment: Any, cutoff: datetime | None) -> bool:
    at = utc(moment)
    return at is not None and (cutoff is None or at < cutoff)


def _show(value: Any, unmask: bool) -> str:
    return str(value) if unmask else mask(None if value is None else str(value))


def _date_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


# Events at the same moment: the roster first, then what the batch created, then money.
_RANK = {"enrolment": 0, "enrolment_change": 0, "account_change": 0, "entitlement": 1}


def build_history(raw: RawHistory, *, as_of: date | None, unmask: bool) -> dict[str, Any]:
    """The history document of one person, cut at ``as_of``."""
    cutoff = cutoff_for(as_of)
    person = raw.recipient
    registered = utc(person["created_at"])
    if cutoff is not None and registered is not None and registered >= cutoff:
        from ledger.errors import LedgerError

        raise LedgerError(
            f"recipient {person['key']} was registered on {local_date(registered)}, "
            f"after {as_of}: nothing to show as of that date"
        )
    events: list[tuple[date, datetime, int, dict[str, Any]]] = []

    def add(day: date, at: datetime, **fields: Any) -> None:
        events.append((day, at, len(events), {"date": day.isoformat(), "at": iso(at), **fields}))

    enrolments = _enrolments(raw.enrolments, cutoff, unmask, add)
    instruction_rows = [i for i in raw.instructions if _known(i["batch_created_at"], cutoff)]
    known_ids = {int(i["id"]) for i in instruction_rows}
    outcomes = [
        o
        for o in raw.outcomes
        if int(o["instruction_id"]) in known_ids and _known(o["recorded_at"], cutoff)
    ]
    reissued_by = {
        int(i["reissue_of"]): int(i["id"]) for i in instruction_rows if i["reissue_of"] is not None
    }
    instructions = _instructions(instruction_rows, outcomes, reissued_by, cutoff, unmask, add)
    outcome_docs = _outcomes(outcomes, add)
    entitlements = _entitlements(raw.entitlements, instructions, cutoff, add)
    posting_docs, balances = _postings(raw, as_of, add)

    events.sort(key=lambda e: (e[0], e[1], _RANK.get(str(e[3]["kind"]), 9), e[2]))
    return {
        "format": FORMAT,
        "as_of": None if as_of is None else as_of.isoformat(),
        "masked": not unmask,
        "recipient": {
            "key": person["key"],
            "id_number": _show(person["id_number"], unmask),
            "name": person["name"],
            "sex": person["sex"],
            "birth_date": _date_text(person["birth_date"]),
            "registered_at": iso(registered),
        },
        "balances": balances,
        "enrolments": enrolments,
        "entitlements": entitlements,
        "instructions": instructions,
        "outcomes": outcome_docs,
        "postings": posting_docs,
        "events": [{"seq": n + 1, **e[3]} for n, e in enumerate(events)],
    }


def _enrolments(
    rows: Iterable[dict[str, Any]], cutoff: datetime | None, unmask: bool, add: Any
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    previous: dict[str, dict[str, Any]] = {}
    for row in rows:
        created = utc(row["from_imported_at"])
        if created is None or (cutoff is not None and created >= cutoff):
            continue
        closed_at = utc(row["to_imported_at"])
        closed = closed_at is not None and (cutoff is None or closed_at < cutoff)
        before = previous.get(row["program"])
        changed = (
            []
            if before is None
            else [f for f in ENROLMENT_FIELDS if _field(before, f) != _field(row, f)]
        )
        doc = {
            "id": int(row["id"]),
            "program": row["program"],
            "township": row["township"],
            "village": row["village"],
            "household_id": row["household_id"],
            "household_size": int(row["household_size"]),
            **money("amount", int(row["amount_fen"])),
            "bank": row["bank"],
            "account_number": _show(row["account_number"], unmask),
            "account_holder": row["account_holder"],
            "start_month": row["start_month"],
            "end_month": row["end_month"],
            "exit_date": _date_text(row["exit_date"]),
            "status": row["status"],
            "current": not closed,
            "valid_from": {
                "import_id": int(row["valid_from_import"]),
                "file_name": row["from_file_name"],
                "file_sha256": row["from_file_sha256"],
                "operator": row["from_operator"],
                "imported_at": iso(created),
            },
            "valid_to": None
            if not closed
            else {
                "import_id": int(row["valid_to_import"]),
                "file_name": row["to_file_name"],
                "operator": row["to_operator"],
                "imported_at": iso(closed_at),
            },
            "changed": changed,
            "account_changed": bool(ACCOUNT_FIELDS.intersection(changed)),
        }
        out.append(doc)
        previous[row["program"]] = row
        if before is None:
            monthly = format_yuan(int(row["amount_fen"]))
            summary = (
                f"enrolled: {row['township']}/{row['village']}, {monthly}"
                f" a month, {row['bank']} {doc['account_number']}, status {row['status']}"
            )
            kind = "enrolment"
        else:
            parts = [
                f"{f} {_describe(before, f, unmask)} -> {_describe(row, f, unmask)}"
                for f in changed
            ]
            summary = "changed: " + "; ".join(parts)
            kind = "account_change" if doc["account_changed"] else "enrolment_change"
        add(
            local_date(created),
            created,
            kind=kind,
            program=row["program"],
            period=None,
            **_no_amount(),
            summary=f"{summary} (import {row['valid_from_import']} {row['from_file_name']},"
            f" by {row['from_operator']})",
            ref={"enrolment_id": int(row["id"]), "import_id": int(row["valid_from_import"])},
        )
    return out


def _field(row: dict[str, Any], name: str) -> Any:
    value = row[name]
    return _date_text(value) if isinstance(value, date) else value


def _describe(row: dict[str, Any], name: str, unmask: bool) -> str:
    value = row[name]
    if value is None:
        return "-"
    if name == "account_number":
        return _show(value, unmask)
    if name == "amount_fen":
        return format_yuan(int(value))
    return str(_field(row, name))


def _no_amount() -> dict[str, Any]:
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


def _instructions(
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
            name: iso(utc(row[name])) if _known(row[name], cutoff) else None
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
            if _known(row["batch_approved_at"], cutoff)
            else None,
            "approved_at": iso(utc(row["batch_approved_at"]))
            if _known(row["batch_approved_at"], cutoff)
            else None,
        }
        exported = _known(row["batch_exported_at"], cutoff)
        batch.update(
            {
                "exported_by": row["batch_exported_by"] if exported else None,
                "exported_at": iso(utc(row["batch_exported_at"])) if exported else None,
                "file_name": row["batch_file_name"] if exported else None,
                "file_sha256": row["batch_file_sha256"] if exported else None,
                "pay_date": _date_text(row["batch_pay_date"]) if exported else None,
                "voided_at": iso(utc(row["batch_voided_at"]))
                if _known(row["batch_voided_at"], cutoff)
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
            "account_number": _show(row["account_number"], unmask),
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
            if (bid, step) in seen_batches or not _known(moment, cutoff):
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
                **_no_amount(),
                summary=f"batch {bid} {text_}",
                ref={"batch_id": bid},
            )
        # Outcomes known only from the instruction's columns (no return-file line).
        recorded = {o["outcome"] for o in by_instruction.get(iid, [])}
        for column, outcome in (("settled_at", "settled"), ("failed_at", "failed")):
            at = utc(row[column])
            if at is None or outcome in recorded or not _known(at, cutoff):
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
        if at is not None and _known(at, cutoff):
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


def _outcomes(outcomes: list[dict[str, Any]], add: Any) -> list[dict[str, Any]]:
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


def _entitlements(
    rows: list[dict[str, Any]],
    instructions: list[dict[str, Any]],
    cutoff: datetime | None,
    add: Any,
) -> list[dict[str, Any]]:
    by_entitlement: dict[int, list[dict[str, Any]]] = {}
    for i in instructions:
        by_entitlement.setdefault(i["entitlement_id"], []).append(i)
    out = []
    for row in rows:
        created = utc(row["batch_created_at"])
        if created is None or (cutoff is not None and created >= cutoff):
            continue
        eid = int(row["id"])
        mine = by_entitlement.get(eid, [])
        status = str(row["status"])
        if cutoff is not None:
            status = "open"
            if _known(row["batch_voided_at"], cutoff):
                status = "voided"
            elif row["status"] == "cancelled" and any(i["status"] == "cancelled" for i in mine):
                status = "cancelled"
        paid = sum(i["amount_fen"] for i in mine if i["status"] == "settled")
        doc = {
            "id": eid,
            "program": row["program"],
            "period": row["period"],
            "kind": row["kind"],
            **money("amount", int(row["amount_fen"])),
            "township": row["township"],
            "village": row["village"],
            "status": status,
            "batch_id": int(row["batch_id"]),
            "instruction_ids": [i["id"] for i in mine],
            **money("settled", paid),
        }
        out.append(doc)
        add(
            local_date(created),
            created,
            kind="entitlement",
            program=row["program"],
            period=row["period"],
            **money("amount", int(row["amount_fen"])),
            summary=f"entitlement {eid} {row['period']} {row['program']} ({status}),"
            f" batch {row['batch_id']}",
            ref={"entitlement_id": eid, "batch_id": int(row["batch_id"])},
        )
    return out


def posting_category(row: dict[str, Any], clearing: set[int]) -> str:
    """What a posting to the person's own account means (docs/audit.md)."""
    account = str(row["account"])
    amount = int(row["amount_fen"])
    reversal = row["type"] == "reversal"
    if account.startswith(RECOVERY):
        if reversal:
            return "reversal"
        return "recovery_due" if amount > 0 else "recovered"
    in_clearing = int(row["transaction_id"]) in clearing
    if amount > 0:
        if in_clearing:
            return "payment"
        return "reversal" if reversal else "cancellation"
    if in_clearing:
        return "payment_returned"
    return "reversal" if reversal else "accrual"


def _postings(
    raw: RawHistory, as_of: date | None, add: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    owed = accrued = paid = cancelled = 0
    recovery_due = recovered = recovery = 0
    out = []
    for row in raw.postings:
        day = row["effective_date"]
        if not isinstance(day, date):
            day = date.fromisoformat(str(day))
        if as_of is not None and day > as_of:
            continue
        amount = int(row["amount_fen"])
        category = posting_category(row, raw.clearing_transactions)
        account = str(row["account"])
        if account.startswith(PAYABLE):
            owed -= amount
            if category in ("payment", "payment_returned"):
                paid += amount
            elif category == "cancellation":
                cancelled += amount
            else:
                accrued -= amount
            balance = -owed
        else:
            recovery += amount
            if amount > 0:
                recovery_due += amount
            else:
                recovered -= amount
            balance = recovery
        doc = {
            "posting_id": int(row["posting_id"]),
            "transaction_id": int(row["transaction_id"]),
            "effective_date": day.isoformat(),
            "type": row["type"],
            "category": category,
            "account": account,
            **money("amount", amount),
            **money("account_balance", balance),
            "instruction_id": None if row["instruction_id"] is None else int(row["instruction_id"]),
            "operator": row["operator"],
            "description": row["description"],
            "recorded_at": iso(utc(row["recorded_at"])),
        }
        out.append(doc)
        at = utc(row["recorded_at"])
        assert at is not None
        add(
            day,
            at,
            kind=f"posting:{category}",
            program=row["program"],
            period=None,
            **money("amount", amount),
            summary=f"transaction {row['transaction_id']} ({row['type']}) {account}"
            f" {format_yuan(amount)}, balance {format_yuan(balance)}, by {row['operator']}:"
            f" {row['description']}",
            ref={
                "transaction_id": int(row["transaction_id"]),
                "instruction_id": doc["instruction_id"],
            },
        )
    balances = {
        **money("accrued", accrued),
        **money("paid", paid),
        **money("cancelled", cancelled),
        **money("owed", owed),
        **money("recovery_due", recovery_due),
        **money("recovered", recovered),
        **money("recovery_outstanding", recovery),
    }
    return out, balances


EVENT_COLUMNS = (
    "seq",
    "date",
    "at",
    "kind",
    "program",
    "period",
    "amount_fen",
    "amount",
    "summary",
)
TABLE_COLUMNS = ("date", "kind", "program", "period", "amount", "summary")


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
        "pay_date": _date_text(b["pay_date"]),
        "voided_by": b["voided_by"],
        "voided_at": iso(utc(b["voided_at"])),
        "void_reason": b["void_reason"],
        "void_transaction_id": b["void_transaction_id"],
    }
    clearing_lines = [
        {
            "transaction_id": int(c["transaction_id"]),
            "effective_date": _date_text(c["effective_date"]),
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
                "account_number": _show(i["account_number"], unmask),
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
