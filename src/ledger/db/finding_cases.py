"""Findings grouped as cases, what came back of their money, their escalations.

A **case** is one rule's finding about one subject's money of one program over every
period it was found in (paid after death in months 1, 2, 3 = findings 6, 38, 73 = case
6). Findings stay the stored unit (one per period: each has its own evidence, amount and
recovery); a case is their ``GROUP BY`` on (rule, subject type, subject id, program),
named by its first finding's id. Nothing is stored per case, so nothing can disagree.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ledger.db.schema import finding_events, findings, postings, recipients
from ledger.db.schema.base import Timestamp
from ledger.operators import os_login

# The columns that make a case.
CASE_KEY = ("rule", "subject_type", "subject_id", "program")
# A case is as far along as its least advanced finding.
_PROGRESS = ("open", "assigned", "rectified")


# Whom a finding names, as the listings show it: select ``RECIPIENT`` from
# ``WITH_RECIPIENT`` (an outer join: not every finding names a recipient).
RECIPIENT = (
    recipients.c.key.label("recipient_key"),
    recipients.c.name.label("recipient_name"),
    recipients.c.id_number.label("id_number"),
)
WITH_RECIPIENT = findings.outerjoin(recipients, recipients.c.id == findings.c.recipient_id)


def case_status(statuses: Iterable[str]) -> str:
    present = set(statuses)
    for status in _PROGRESS:
        if status in present:
            return status
    return "verified" if "verified" in present else "dismissed"


def group_cases(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings (``findings_store.list_findings`` rows) as cases, in first-finding order."""
    cases: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: int(r["id"])):
        key = tuple(row[k] for k in CASE_KEY)
        case = cases.get(key)
        if case is None:
            case = cases[key] = {
                **{k: row[k] for k in CASE_KEY},
                "case": int(row["id"]),
                "category": row["category"],
                "township": row["township"],
                "recipient_key": row.get("recipient_key"),
                "recipient_name": row.get("recipient_name"),
                "id_number": row.get("id_number"),
                "findings": [],
                "periods": [],
                "statuses": [],
                "amount_fen": 0,
                "recovered_fen": 0,
                "written_off_fen": 0,
                "owner": None,
                "due_date": None,
            }
        case["findings"].append(int(row["id"]))
        if row["period"] not in case["periods"]:
            case["periods"].append(row["period"])
        case["statuses"].append(row["status"])
        case["amount_fen"] += int(row["amount_fen"])
        case["recovered_fen"] += int(row["recovered_fen"])
        case["written_off_fen"] += int(row.get("written_off_fen") or 0)
        if row["status"] in ("assigned", "rectified", "open") and row["owner"]:
            case["owner"] = row["owner"]
            due = row["due_date"]
            if due is not None and (case["due_date"] is None or due < case["due_date"]):
                case["due_date"] = due
    for case in cases.values():
        case["periods"].sort()
        case["status"] = case_status(case.pop("statuses"))
    return list(cases.values())


def case_findings(connection: sa.Connection, finding_id: int) -> list[dict[str, Any]]:
    """Every finding of the case a finding belongs to (itself included), oldest first."""
    one = findings.alias("one")
    query = (
        sa.select(findings, recipients.c.key.label("recipient_key"))
        .select_from(
            findings.join(
                one,
                sa.and_(
                    one.c.id == finding_id,
                    one.c.rule == findings.c.rule,
                    one.c.subject_type == findings.c.subject_type,
                    one.c.subject_id == findings.c.subject_id,
                    sa.func.coalesce(one.c.program, "") == sa.func.coalesce(findings.c.program, ""),
                ),
            ).outerjoin(recipients, recipients.c.id == findings.c.recipient_id)
        )
        .order_by(findings.c.id)
    )
    return [dict(r._mapping) for r in connection.execute(query)]


def received_fen(connection: sa.Connection, finding_id: int) -> int:
    """The recovered money that came back for a finding: the treasury side (debit) of
    the ``funds receive-recovery`` transactions named ``--finding`` it."""
    value = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(postings.c.amount_fen), 0))
        .select_from(
            finding_events.join(
                postings, postings.c.transaction_id == finding_events.c.transaction_id
            )
        )
        .where(
            finding_events.c.finding_id == finding_id,
            finding_events.c.action == "recovery_received",
            postings.c.amount_fen > 0,
        )
    ).scalar_one()
    return int(value)


def received_by_finding(connection: sa.Connection) -> dict[int, int]:
    """``received_fen`` of every finding that received money, in one query."""
    rows = connection.execute(
        sa.select(finding_events.c.finding_id, sa.func.sum(postings.c.amount_fen))
        .select_from(
            finding_events.join(
                postings, postings.c.transaction_id == finding_events.c.transaction_id
            )
        )
        .where(finding_events.c.action == "recovery_received", postings.c.amount_fen > 0)
        .group_by(finding_events.c.finding_id)
    )
    return {int(f): int(a) for f, a in rows}


def overdue_findings(connection: sa.Connection, today: date) -> list[dict[str, Any]]:
    """Assigned findings whose due date has passed, with when each was last escalated
    for that due date (None: not yet)."""
    escalated = (
        sa.select(
            finding_events.c.finding_id,
            sa.func.max(finding_events.c.occurred_at).label("escalated_at"),
        )
        .where(finding_events.c.action == "escalated")
        .group_by(finding_events.c.finding_id)
        .subquery()
    )
    query = (
        sa.select(findings, *RECIPIENT, escalated.c.escalated_at)
        .select_from(WITH_RECIPIENT.outerjoin(escalated, escalated.c.finding_id == findings.c.id))
        .where(
            findings.c.status == "assigned",
            findings.c.due_date.is_not(None),
            findings.c.due_date < today,
        )
        .order_by(findings.c.due_date, findings.c.id)
    )
    rows = [dict(r._mapping) for r in connection.execute(query)]
    for row in rows:
        row["days_overdue"] = (today - row["due_date"]).days
        at = row["escalated_at"]
        # An escalation counts for the due date it was made after (a new due date,
        # missed again, escalates again).
        if at is not None and at.date() <= row["due_date"]:
            row["escalated_at"] = None
    return rows


def record_escalations(
    connection: sa.Connection, rows: list[dict[str, Any]], *, operator: str, now: datetime
) -> list[int]:
    """An ``escalated`` event for each overdue finding not yet escalated; their ids."""
    fresh = [r for r in rows if r["escalated_at"] is None]
    if fresh:
        connection.execute(
            finding_events.insert(),
            [
                {
                    "finding_id": r["id"],
                    "occurred_at": now,
                    "operator": operator,
                    "action": "escalated",
                    "note": (
                        f"rectification overdue: due {r['due_date']}, {r['days_overdue']} day(s)"
                        f" late, owner {r['owner']}; escalated to the county (督办)"
                    ),
                    "db_login": os_login(),
                }
                for r in fresh
            ],
        )
        for r in fresh:
            r["escalated_at"] = now
    return [int(r["id"]) for r in fresh]


def add_events(
    connection: sa.Connection,
    finding: str,
    action: str,
    note: str,
    source: str,
    params: dict[str, Any],
) -> int:
    """A finding event ``action`` (a constant) for each row of ``source`` (SQL: ``FROM``
    and the rest): the ``finding`` id and ``note`` expressions of the row, the time
    ``:now``, ``:operator`` and ``:login`` from ``params``; returns how many."""
    return int(
        connection.execute(
            sa.text(
                "INSERT INTO finding_events (finding_id, occurred_at, operator, action, note,"
                f" db_login) SELECT {finding}, :now, :operator, '{action}', {note}, :login" + source
            ).bindparams(sa.bindparam("now", type_=Timestamp)),
            params,
        ).rowcount
    )


def reopen_dismissed_recurrences(
    connection: sa.Connection, *, since_id: int, operator: str, now: datetime
) -> int:
    """Dismissed findings whose case was found again in a later period by this
    detection (findings with id > ``since_id``) are reopened, each with a ``reopened``
    event naming the new finding; the new finding gets a ``recurrence`` event."""
    match = (
        " FROM findings d JOIN findings n ON n.rule = d.rule"
        " AND n.subject_type = d.subject_type AND n.subject_id = d.subject_id"
        " AND COALESCE(n.program, '') = COALESCE(d.program, '')"
        " AND n.period > d.period AND n.id > :since"
        " WHERE d.status = 'dismissed'"
    )
    params = {"since": since_id, "now": now, "operator": operator, "login": os_login()}
    add_events(
        connection,
        "d.id",
        "reopened",
        "'dismissed, but found again in ' || MIN(n.period) || ' (finding '"
        " || CAST(MIN(n.id) AS VARCHAR(20)) || '): reopened'",
        match + " GROUP BY d.id",
        params,
    )
    add_events(
        connection,
        "n.id",
        "recurrence",
        "'the same subject and rule was dismissed before (finding '"
        " || CAST(MIN(d.id) AS VARCHAR(20)) || '), now reopened'",
        match + " GROUP BY n.id",
        params,
    )
    return int(
        connection.execute(
            sa.text(
                "UPDATE findings SET status = 'open', closed_at = NULL"
                " WHERE id IN (SELECT d.id" + match + ")"
            ),
            {"since": since_id},
        ).rowcount
    )
