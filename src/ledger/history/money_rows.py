"""Entitlements and postings in a person's history, and the balances as of a date."""

from datetime import date, datetime
from typing import Any

from ledger.db.audit_reads import RawHistory
from ledger.history.clock import PAYABLE, RECOVERY, is_known, iso, local_date, money, utc
from ledger.money import format_yuan


def entitlement_events(
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
            if is_known(row["batch_voided_at"], cutoff):
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


def posting_events(
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
