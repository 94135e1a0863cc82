"""Tamper evidence beyond the journal: recompute the audit events' chain and check the
workflow tables against what the newest event of each scope says (``ledger.db.events``).

For every event, in id order: the ids increase, ``prev_hash`` is the previous event's
hash, the recomputed hash is the stored one, the journal head it names is in the journal
with that hash, and journal heads never go back. Then, for every scope the tables hold
rows of or an event recorded (each batch, each reference-list import, the roster,
findings, operators, periods), the rows' digests now must equal those of the newest
event that recorded the scope; the first row that differs is named.
"""

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ledger.db.schema import audit_events, transactions
from ledger.db.state_digest import current_scopes, first_difference, scope_digest
from ledger.event_chain import event_hash
from ledger.journal import GENESIS_HASH


@dataclass
class EventReport:
    events_checked: int = 0
    scopes_checked: int = 0
    head: tuple[int, str] = (0, GENESIS_HASH)
    # (event id or None, scope or None, message)
    problems: list[tuple[int | None, str | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_events(connection: sa.Connection) -> EventReport:
    report = EventReport()
    latest: dict[str, tuple[int, dict[str, Any]]] = {}
    _check_chain(connection, report, latest)
    _check_state(connection, report, latest)
    return report


def _check_chain(
    connection: sa.Connection, report: EventReport, latest: dict[str, tuple[int, dict[str, Any]]]
) -> None:
    heads: list[tuple[int, int, str]] = []  # (event, transaction, hash) checked below
    prev_id, prev_hash = 0, GENESIS_HASH
    last_head = 0
    rows = connection.execution_options(yield_per=1_000).execute(
        sa.select(audit_events).order_by(audit_events.c.id)
    )
    for row in rows.mappings():
        event_id = int(row["id"])
        report.events_checked += 1
        problems = report.problems
        if event_id <= prev_id:
            problems.append((event_id, None, f"follows event {prev_id}: ids out of order"))
        if row["prev_hash"] != prev_hash:
            problems.append(
                (event_id, None, "prev_hash does not match the hash of the event before it")
            )
        if row["hash"] is None or event_hash(dict(row)) != row["hash"]:
            problems.append((event_id, None, "content does not match its hash: it was changed"))
        head = row["journal_transaction_id"]
        if head is not None:
            heads.append((event_id, int(head), str(row["journal_hash"])))
            if int(head) < last_head:
                problems.append((event_id, None, f"names journal head {head}, before {last_head}"))
            last_head = max(last_head, int(head))
        if row["state"]:
            try:
                for name, digest in json.loads(row["state"]).items():
                    latest[name] = (event_id, digest)
            except (ValueError, AttributeError):
                problems.append((event_id, None, "its state is not readable JSON"))
        prev_id, prev_hash = event_id, str(row["hash"])
    report.head = (prev_id, prev_hash)
    _check_heads(connection, report, heads)
    newest = connection.execute(sa.select(sa.func.max(transactions.c.id))).scalar()
    if newest is not None and int(newest) > last_head:
        report.problems.append(
            (
                None,
                None,
                f"transactions {last_head + 1}..{newest} follow the last audit event's journal "
                "head: recorded outside the ledger's units of work",
            )
        )


def _check_heads(
    connection: sa.Connection, report: EventReport, heads: list[tuple[int, int, str]]
) -> None:
    """Each journal head an event names is still in the journal with the same hash."""
    wanted = sorted({tx for _, tx, _ in heads})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 1_000):
        part = wanted[start : start + 1_000]
        found.update(
            (int(i), str(h))
            for i, h in connection.execute(
                sa.select(transactions.c.id, transactions.c.hash).where(transactions.c.id.in_(part))
            )
        )
    for event_id, tx, digest in heads:
        if found.get(tx) != digest:
            report.problems.append(
                (
                    event_id,
                    None,
                    f"names journal head transaction {tx}, which the journal no longer holds "
                    "with that hash (deleted or re-forged)",
                )
            )


def _check_state(
    connection: sa.Connection, report: EventReport, latest: dict[str, tuple[int, dict[str, Any]]]
) -> None:
    names = list(dict.fromkeys([*current_scopes(connection), *sorted(latest)]))
    for name in names:
        report.scopes_checked += 1
        if name not in latest:
            report.problems.append(
                (None, name, "has rows that no audit event records (written outside the ledger)")
            )
            continue
        event_id, recorded = latest[name]
        sizes = {table: int(d["k"]) for table, d in recorded.items()}
        now = scope_digest(connection, name, sizes)
        for table in now:
            if table not in recorded:
                continue
            difference = first_difference(recorded[table], now[table])
            if difference is not None:
                report.problems.append(
                    (event_id, name, f"{table}: {difference} from what event {event_id} records")
                )
                break


def scope_problem(connection: sa.Connection, name: str) -> str | None:
    """How the rows of scope ``name`` now differ from its newest audit event (None when
    they agree): the check ``batch export`` makes before money leaves in a file."""
    pattern = f'%"{name}":%'
    rows = connection.execute(
        sa.select(audit_events.c.id, audit_events.c.state)
        .where(audit_events.c.state.like(pattern))
        .order_by(audit_events.c.id.desc())
        .limit(1)
    ).first()
    if rows is None:
        return "no audit event records it"
    recorded = json.loads(rows.state)[name]
    now = scope_digest(connection, name, {table: int(d["k"]) for table, d in recorded.items()})
    for table in now:
        difference = first_difference(recorded[table], now[table]) if table in recorded else None
        if difference is not None:
            return f"{table}: {difference} from what event {rows.id} records"
    return None
