"""Findings in the database: store a detection run's candidates, read, change status.

``store_candidates`` is set-based: the candidates are staged in a temporary table and
moved with a few ``INSERT ... SELECT`` / ``UPDATE`` statements, whatever their number.
Every status change adds a ``finding_events`` row in the same database transaction.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ledger.db.bulk import fill_temporary_table
from ledger.db.finding_cases import (
    RECIPIENT,
    WITH_RECIPIENT,
    add_events,
    reopen_dismissed_recurrences,
)
from ledger.db.locked_rows import one_row
from ledger.db.schema import finding_events, findings, recipients
from ledger.db.schema.base import Timestamp
from ledger.operators import os_login

_STAGE = "ledger_finding_candidates"
_STAGE_COLUMNS = [
    ("fingerprint", "VARCHAR(64)"),
    ("rule", "VARCHAR(8)"),
    ("category", "VARCHAR(16)"),
    ("severity", "VARCHAR(8)"),
    ("subject_type", "VARCHAR(16)"),
    ("subject_id", "VARCHAR(200)"),
    ("period", "VARCHAR(7)"),
    ("township", "VARCHAR(32)"),
    ("program", "VARCHAR(32)"),
    ("recipient_id", "BIGINT"),
    ("amount_fen", "BIGINT"),
    ("evidence", "TEXT"),
    ("summary", "TEXT"),
]


def fingerprint(
    rule: str, subject_type: str, subject_id: str, period: str, program: str | None
) -> str:
    """The identity of a finding: one rule's finding about one subject's money of one
    program in one period. A recipient enrolled in two programs (or a batch's subject
    seen under two programs) has two findings, one per program: each is owed, paid,
    followed up and recovered through its own program's accounts (docs/findings.md)."""
    text = f"{rule}|{subject_type}|{subject_id}|{period}|{program or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprints(rule: str, frame: pd.DataFrame) -> list[str]:
    """The fingerprint of every candidate row of a rule's frame, in order."""
    return [
        fingerprint(rule, t, s, p, None if pr is None or pd.isna(pr) else str(pr))
        for t, s, p, pr in zip(
            frame["subject_type"],
            frame["subject_id"],
            frame["period"],
            frame["program"],
            strict=True,
        )
    ]


@dataclass(frozen=True)
class Stored:
    found: int
    new: int
    reopened: int
    amount_fen: int


def _ts(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=Timestamp)


def store_candidates(
    connection: sa.Connection,
    rule: str,
    category: str,
    frame: pd.DataFrame,
    *,
    operator: str,
    now: datetime,
) -> Stored:
    """Insert new findings, refresh the ones found before, reopen verified ones."""
    if frame.empty:
        return Stored(0, 0, 0, 0)
    prints = fingerprints(rule, frame)
    repeated = pd.Series(prints).duplicated(keep=False)
    if repeated.any():
        # A rule's bug, not the user's: one run must name each finding once.
        first = frame[repeated.to_numpy()].iloc[0]
        raise ValueError(
            f"rule {rule} found {int(repeated.sum())} candidates sharing a fingerprint,"
            f" e.g. {first['subject_type']} {first['subject_id']} {first['period']}"
            f" {first['program']}"
        )
    rows = [
        (
            fp,
            rule,
            category,
            sev,
            st,
            sid,
            per,
            tw,
            pr,
            None if rid is None or pd.isna(rid) else int(rid),
            int(amount),
            json.dumps(ev, ensure_ascii=False, sort_keys=True, default=str),
            summ,
        )
        for fp, sev, st, sid, per, tw, pr, rid, amount, ev, summ in zip(
            prints,
            frame["severity"],
            frame["subject_type"],
            frame["subject_id"],
            frame["period"],
            frame["township"],
            frame["program"],
            frame["recipient_id"],
            frame["amount_fen"],
            frame["evidence"],
            frame["summary"],
            strict=True,
        )
    ]
    fill_temporary_table(connection, _STAGE, _STAGE_COLUMNS, rows)
    last_id = connection.execute(
        sa.select(sa.func.coalesce(sa.func.max(findings.c.id), 0))
    ).scalar_one()
    params = {"now": now, "operator": operator, "login": os_login()}
    # Verified (or rectified) findings whose condition is back: reopened, with an event.
    add_events(
        connection,
        "f.id",
        "reopened",
        "'detected again: ' || c.summary",
        f" FROM findings f JOIN {_STAGE} c ON c.fingerprint = f.fingerprint"
        " WHERE f.status = 'verified'",
        params,
    )
    reopened = connection.execute(
        sa.text(
            "UPDATE findings SET status = 'open', closed_at = NULL"
            f" WHERE status = 'verified' AND fingerprint IN (SELECT fingerprint FROM {_STAGE})"
        )
    ).rowcount
    connection.execute(
        sa.text(
            # UPDATE ... FROM (PostgreSQL; SQLite >= 3.33): one join, not a
            # correlated lookup per finding.
            "UPDATE findings SET amount_fen = c.amount_fen, evidence = c.evidence,"
            " summary = c.summary, severity = c.severity,"
            " last_detected_at = :now"
            f" FROM {_STAGE} c WHERE c.fingerprint = findings.fingerprint"
        ).bindparams(_ts("now")),
        params,
    )
    connection.execute(
        sa.text(
            "INSERT INTO findings (fingerprint, rule, category, severity, subject_type,"
            " subject_id, period, township, program, recipient_id, amount_fen, recovered_fen,"
            " evidence, summary, status, first_detected_at, last_detected_at)"
            " SELECT c.fingerprint, c.rule, c.category, c.severity, c.subject_type,"
            " c.subject_id, c.period, c.township, c.program, c.recipient_id, c.amount_fen, 0,"
            " c.evidence, c.summary, 'open', :now, :now"
            f" FROM {_STAGE} c"
            " WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.fingerprint = c.fingerprint)"
        ).bindparams(_ts("now")),
        params,
    )
    new = add_events(
        connection,
        "id",
        "detected",
        "summary",
        " FROM findings WHERE id > :last",
        {**params, "last": int(last_id)},
    )
    # A dismissed finding whose case comes back in a later period is reopened.
    reopened += reopen_dismissed_recurrences(
        connection, since_id=int(last_id), operator=operator, now=now
    )
    connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
    return Stored(len(rows), int(new), int(reopened), int(sum(r[10] for r in rows)))


def add_event(
    connection: sa.Connection,
    finding_id: int,
    *,
    operator: str,
    action: str,
    now: datetime,
    note: str | None = None,
    transaction_id: int | None = None,
) -> None:
    connection.execute(
        finding_events.insert().values(
            finding_id=finding_id,
            occurred_at=now,
            operator=operator,
            action=action,
            note=note,
            transaction_id=transaction_id,
            db_login=os_login(),
        )
    )


def load(connection: sa.Connection, finding_id: int, *, lock: bool = False) -> sa.Row[Any]:
    return one_row(
        connection,
        sa.select(findings, recipients.c.key.label("recipient_key"))
        .select_from(WITH_RECIPIENT)
        .where(findings.c.id == finding_id),
        f"no finding {finding_id}",
        lock=lock,
        of=findings,
    )


def update(connection: sa.Connection, finding_id: int, **values: Any) -> None:
    connection.execute(findings.update().where(findings.c.id == finding_id).values(**values))


def events(connection: sa.Connection, finding_id: int) -> list[dict[str, Any]]:
    return [
        dict(r._mapping)
        for r in connection.execute(
            sa.select(finding_events)
            .where(finding_events.c.finding_id == finding_id)
            .order_by(finding_events.c.id)
        )
    ]


def list_findings(
    connection: sa.Connection,
    *,
    period: str | None = None,
    periods: Sequence[str] | None = None,
    rule: str | None = None,
    category: str | None = None,
    statuses: Iterable[str] | None = None,
    township: str | None = None,
) -> list[dict[str, Any]]:
    query = (
        sa.select(findings, *RECIPIENT)
        .select_from(WITH_RECIPIENT)
        .order_by(findings.c.category, findings.c.rule, findings.c.period, findings.c.id)
    )
    if period is not None:
        query = query.where(findings.c.period == period)
    if periods is not None:
        query = query.where(findings.c.period.in_(list(periods)))
    if rule is not None:
        query = query.where(findings.c.rule == rule)
    if category is not None:
        query = query.where(findings.c.category == category)
    if statuses is not None:
        query = query.where(findings.c.status.in_(list(statuses)))
    if township is not None:
        query = query.where(findings.c.township == township)
    return [dict(r._mapping) for r in connection.execute(query)]
