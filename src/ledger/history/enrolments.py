"""Roster versions in a person's history: enrolments, their changes, account changes."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from ledger.history.clock import (
    ACCOUNT_FIELDS,
    ENROLMENT_FIELDS,
    date_text,
    iso,
    local_date,
    money,
    show,
    utc,
)
from ledger.history.instructions import no_amount
from ledger.money import format_yuan


def enrolment_events(
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
            "account_number": show(row["account_number"], unmask),
            "account_holder": row["account_holder"],
            "start_month": row["start_month"],
            "end_month": row["end_month"],
            "exit_date": date_text(row["exit_date"]),
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
            **no_amount(),
            summary=f"{summary} (import {row['valid_from_import']} {row['from_file_name']},"
            f" by {row['from_operator']})",
            ref={"enrolment_id": int(row["id"]), "import_id": int(row["valid_from_import"])},
        )
    return out


def _field(row: dict[str, Any], name: str) -> Any:
    value = row[name]
    return date_text(value) if isinstance(value, date) else value


def _describe(row: dict[str, Any], name: str, unmask: bool) -> str:
    value = row[name]
    if value is None:
        return "-"
    if name == "account_number":
        return show(value, unmask)
    if name == "amount_fen":
        return format_yuan(int(value))
    return str(_field(row, name))
