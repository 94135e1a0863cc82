"""Detection and the findings lifecycle as services (one state change, one commit each).

Lifecycle (DESIGN §6): open -> assigned (owner, due date: 责任到人, 限时整改) ->
rectified (what was done) -> verified (the rule, run again, no longer sees the
condition: 回头看) or dismissed (with a reason). Verify closes a finding only when the
condition is gone; when it is still there the finding goes back to assigned (or open).
A detection that finds a verified finding's condition again reopens it. Every change
records the operator and time in ``finding_events`` and an audit event.
"""

import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ledger.batches import parse_period
from ledger.county import County
from ledger.db import findings_store as store
from ledger.db.events import record_event
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.findings import RULES, RULES_BY_ID, Context, Rule, closing

# Which status each action may start from.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "assign": ("open", "assigned"),
    "rectify": ("open", "assigned"),
    "dismiss": ("open", "assigned", "rectified"),
    "verify": ("open", "assigned", "rectified"),
}


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


@dataclass(frozen=True)
class RuleRun:
    rule: str
    found: int
    new: int
    reopened: int
    amount_fen: int
    seconds: float
    peak_bytes: int


def latest_period(connection: sa.Connection) -> str:
    period = connection.execute(
        sa.text("SELECT MAX(period) FROM batches WHERE state <> 'voided'")
    ).scalar_one()
    if period is None:
        raise LedgerError("no payment batch yet: name the period with --period YYYY-MM")
    return str(period)


def select_rules(ids: Sequence[str]) -> list[Rule]:
    unknown = [r for r in ids if r.upper() not in RULES_BY_ID]
    if unknown:
        raise ValidationError(
            "unknown rule(s):", [f"{r!r} (known: {', '.join(RULES_BY_ID)})" for r in unknown]
        )
    return [RULES_BY_ID[r.upper()] for r in ids] if ids else list(RULES)


def detect(
    uow: UnitOfWork,
    county: County,
    *,
    operator: str,
    period: str | None = None,
    rules: Sequence[str] = (),
    as_of: date | None = None,
    now: datetime | None = None,
    measure_memory: bool = False,
) -> tuple[str, list[RuleRun]]:
    """Run the rules for a period and store what they find; return per-rule figures."""
    connection = uow.connection
    period = parse_period(period) if period else latest_period(connection)
    chosen = select_rules(rules)
    moment = _now(now)
    ctx = Context(connection, county, period, as_of or moment.date())
    runs = []
    for rule in chosen:
        if measure_memory:
            tracemalloc.start()
        started = time.perf_counter()
        frame = rule.detect(ctx)
        stored = store.store_candidates(
            connection, rule.id, rule.category, frame, operator=operator, now=moment
        )
        seconds = time.perf_counter() - started
        peak = 0
        if measure_memory:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        runs.append(
            RuleRun(
                rule.id, stored.found, stored.new, stored.reopened, stored.amount_fen, seconds, peak
            )
        )
    record_event(
        connection,
        operator=operator,
        action="findings.detected",
        subject_type="period",
        subject_id=period,
        detail={
            "as_of": ctx.as_of,
            "rules": {r.rule: {"found": r.found, "new": r.new} for r in runs},
        },
    )
    uow.commit()
    return period, runs


def _change(
    uow: UnitOfWork,
    finding_id: int,
    action: str,
    *,
    operator: str,
    now: datetime | None,
    note: str | None,
    **values: object,
) -> sa.Row:
    connection = uow.connection
    row = store.load(connection, finding_id, lock=True)
    allowed = TRANSITIONS[action]
    if row.status not in allowed:
        raise LedgerError(
            f"finding {finding_id} is {row.status}: it cannot be {action}ed "
            f"(only when {' or '.join(allowed)})"
        )
    detail = {"note": note, **{k: v for k, v in values.items() if k != "closed_at"}}
    closing.record_change(
        connection,
        finding_id,
        action,
        operator=operator,
        now=_now(now),
        note=note,
        values=values,
        detail=detail,
    )
    uow.commit()
    return row


def assign(
    uow: UnitOfWork,
    finding_id: int,
    *,
    owner: str,
    due: date,
    operator: str,
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    if not owner.strip():
        raise ValidationError("the finding was not assigned:", ["--owner: missing"])
    _change(
        uow,
        finding_id,
        "assign",
        operator=operator,
        now=now,
        note=note or f"owner {owner}, due {due}",
        status="assigned",
        owner=owner.strip(),
        due_date=due,
    )


def rectify(
    uow: UnitOfWork, finding_id: int, *, note: str, operator: str, now: datetime | None = None
) -> None:
    if not note.strip():
        raise ValidationError("the finding was not changed:", ["--note: say what was done"])
    _change(uow, finding_id, "rectify", operator=operator, now=now, note=note, status="rectified")


def dismiss(
    uow: UnitOfWork, finding_id: int, *, reason: str, operator: str, now: datetime | None = None
) -> None:
    if not reason.strip():
        raise ValidationError("the finding was not dismissed:", ["--reason: missing"])
    _change(
        uow,
        finding_id,
        "dismiss",
        operator=operator,
        now=now,
        note=reason,
        status="dismissed",
        closed_at=_now(now),
    )


def condition_present(connection: sa.Connection, county: County, row: sa.Row, as_of: date) -> bool:
    """Run the finding's rule for its period; whether it still sees this finding."""
    rule = RULES_BY_ID.get(row.rule)
    if rule is None:
        raise LedgerError(
            f"finding {row.id} ({row.rule}) comes from the province's cross-county job: the "
            "next province run, imported again, tells whether it is still there"
        )
    frame = rule.detect(Context(connection, county, row.period, as_of))
    if frame.empty:
        return False
    return str(row.fingerprint) in set(store.fingerprints(rule.id, frame))


def verify(
    uow: UnitOfWork,
    county: County,
    finding_id: int,
    *,
    operator: str,
    as_of: date | None = None,
    now: datetime | None = None,
) -> bool:
    """Close the finding (verified) if its condition is gone; return whether it closed."""
    connection = uow.connection
    row = store.load(connection, finding_id, lock=True)
    if row.status not in TRANSITIONS["verify"]:
        raise LedgerError(f"finding {finding_id} is {row.status}: there is nothing to verify")
    moment = _now(now)
    present = condition_present(connection, county, row, as_of or moment.date())
    # A payment after death stays made: settling its money closes the finding.
    unsettled = closing.settled_note(connection, row) if present else None
    if present and row.rule in closing.CLOSED_BY_RECOVERY and unsettled is None:
        present = False
        action, note = "verified", "the money is settled: fully recovered or written off"
        values: dict[str, object] = {"status": "verified", "closed_at": moment}
    elif present:
        back = "assigned" if row.owner else "open"
        action, note = "verify_failed", f"the condition is still present; back to {back}"
        values = {"status": back, "last_detected_at": moment}
        if row.rule in closing.CLOSED_BY_RECOVERY:
            note += f"; not settled: {unsettled}"
    else:
        action, note = "verified", "the rule no longer sees the condition"
        values = {"status": "verified", "closed_at": moment}
    closing.record_change(
        connection,
        finding_id,
        action,
        operator=operator,
        now=moment,
        note=note,
        values=values,
        detail={"rule": row.rule, "period": row.period},
    )
    uow.commit()
    return not present


def verify_note(connection: sa.Connection, finding_id: int) -> str:
    """The note of the finding's last verify event (what ``verify`` found)."""
    events = [e for e in store.events(connection, finding_id) if e["action"].startswith("verif")]
    return str(events[-1]["note"] or "") if events else ""
