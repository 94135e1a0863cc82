"""The audit trail of state changes, hash-chained: who did what to which subject, when,
and what the touched rows were afterwards.

Ledger transactions record their operator themselves; every other state change (a batch
approved, a file imported, a period closed...) adds an append-only event here. Events
form one chain, like the journal's: ``hash`` = SHA-256 of ``prev_hash`` (the hash of the
event before it) and the event's canonical text, which includes

- the journal's head when the event was written (the last transaction's id and hash):
  the order between events and transactions is part of the record, and an event names a
  transaction that must still be in the journal;
- ``state``: the digests of every scope the change touched (``ledger.db.state_digest``):
  a batch, an import, a register, as the change left them.

Events are written when their unit of work commits (``flush_events``, called by
``UnitOfWork.commit``), under the journal's lock, so each one's digests describe the
rows as committed and the chain has one order. A connection outside a unit of work
writes its events at once.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ledger.db.journal_store import JOURNAL_POSTED_INFO, last_link, lock_journal
from ledger.db.schema import audit_events, transactions
from ledger.db.state_digest import related_batches, scope_digest, scope_name
from ledger.event_chain import canonical_json, event_hash
from ledger.journal import GENESIS_HASH
from ledger.operators import os_login

PENDING_INFO = "ledger.pending_events"
IN_UNIT_INFO = "ledger.in_unit_of_work"

# Action prefixes whose subject names their scope; others pass ``scopes``.
_SCOPE_OF_ACTION = {
    "operator.": "operators",
    "finding.": "findings",
    "findings.": "findings",
    "recovery.": "findings",
    "period.": "periods",
    "roster.": "roster",
}


@dataclass
class _Pending:
    values: dict[str, Any]
    scopes: list[str]


def record_event(
    connection: sa.Connection,
    *,
    operator: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    detail: dict[str, Any] | None = None,
    scopes: Iterable[str] | None = None,
) -> None:
    """Add an event. ``scopes`` (``state_digest.scope_name``): what the change touched,
    when the subject does not say it (a batch subject is its own scope)."""
    values = {
        "occurred_at": datetime.now(UTC),
        "operator": operator,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
        # PostgreSQL replaces it with session_user (migrations/sql).
        "db_login": os_login(),
    }
    pending = _Pending(values, list(scopes) if scopes is not None else _default_scopes(values))
    if connection.info.get(IN_UNIT_INFO):
        connection.info.setdefault(PENDING_INFO, []).append(pending)
    else:
        _write(connection, [pending])


def _default_scopes(values: dict[str, Any]) -> list[str]:
    if values["subject_type"] == "batch":
        return [scope_name("batch", int(values["subject_id"]))]
    if values["subject_type"] == "refdata_import":
        return [scope_name("refdata", int(values["subject_id"]))]
    for prefix, family in _SCOPE_OF_ACTION.items():
        if values["action"].startswith(prefix):
            return [family]
    return []


def flush_events(connection: sa.Connection) -> None:
    """Write the events this unit of work recorded, chained (``UnitOfWork.commit``)."""
    pending = connection.info.pop(PENDING_INFO, [])
    posted = connection.info.pop(JOURNAL_POSTED_INFO, False)
    if posted and not pending:
        # Every transaction is followed by an event naming the journal head, so that
        # one appended outside the ledger shows (ledger.db.event_verify).
        journal_id, _ = journal_head(connection)
        pending = [
            _Pending(
                {
                    "occurred_at": datetime.now(UTC),
                    "operator": _last_operator(connection),
                    "action": "journal.posted",
                    "subject_type": "transaction",
                    "subject_id": str(journal_id),
                    "detail": "{}",
                    "db_login": os_login(),
                },
                [],
            )
        ]
    if pending:
        _write(connection, pending)


def _last_operator(connection: sa.Connection) -> str:
    return str(
        connection.execute(
            sa.select(transactions.c.operator).order_by(transactions.c.id.desc()).limit(1)
        ).scalar_one()
    )


def discard_events(connection: sa.Connection) -> None:
    connection.info.pop(PENDING_INFO, None)
    connection.info.pop(JOURNAL_POSTED_INFO, None)


def _write(connection: sa.Connection, pending: Sequence[_Pending]) -> None:
    lock_journal(connection)
    last_id, prev_hash = chain_head(connection)
    journal_id, journal_hash = journal_head(connection)
    digests: dict[str, dict[str, Any]] = {}
    for item in pending:
        for name in _with_related(connection, item.scopes):
            if name not in digests:
                digests[name] = scope_digest(connection, name)
    for item in pending:
        last_id += 1
        names = _with_related(connection, item.scopes)
        state = canonical_json({name: digests[name] for name in names}) if names else ""
        row = {
            **item.values,
            "id": last_id,
            "journal_transaction_id": journal_id,
            "journal_hash": journal_hash,
            "state": state,
            "prev_hash": prev_hash,
        }
        row["hash"] = event_hash(row)
        connection.execute(audit_events.insert().values(**row))
        prev_hash = row["hash"]


def _with_related(connection: sa.Connection, names: list[str]) -> list[str]:
    out = list(dict.fromkeys(names))
    for name in names:
        if name.startswith("batch:"):
            out += [
                scope_name("batch", b)
                for b in related_batches(connection, int(name.split(":")[1]))
                if scope_name("batch", b) not in out
            ]
    return out


def chain_head(connection: sa.Connection) -> tuple[int, str]:
    """The last event's id and hash (0 and the genesis hash for an empty log)."""
    last = last_link(connection, audit_events)
    if last is None:
        return 0, GENESIS_HASH
    return int(last.id), str(last.hash or GENESIS_HASH)


def journal_head(connection: sa.Connection) -> tuple[int | None, str | None]:
    last = last_link(connection, transactions)
    return (None, None) if last is None else (int(last.id), str(last.hash))
