"""Witnessed chain heads: the journal's and the audit events' last id and hash at a
moment, as a small JSON document auditors keep outside the database.

A later ``audit verify --checkpoint FILE`` proves the chains still contain each
witnessed head: a truncated journal or event log, or a tail re-forged with recomputed
hashes, no longer holds the head someone kept. Bank-file manifests, approval sheets,
exported reports and period closes carry the same head (``head_document``).
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger.db.events import chain_head, journal_head
from ledger.db.schema import audit_events, transactions
from ledger.errors import LedgerError

FORMAT = "ledger-checkpoint/1"


def head_document(connection: sa.Connection, *, at: datetime | None = None) -> dict[str, Any]:
    """{"journal": {"transaction_id", "hash"}, "events": {"event_id", "hash"}, "at"}."""
    journal_id, journal_hash = journal_head(connection)
    event_id, event_hash = chain_head(connection)
    return {
        "format": FORMAT,
        "at": (at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "journal": {"transaction_id": journal_id, "hash": journal_hash},
        "events": {"event_id": event_id or None, "hash": event_hash if event_id else None},
    }


def event_witness(connection: sa.Connection, event_id: int) -> dict[str, Any]:
    """The heads an event witnessed: itself and the journal head it recorded (the same
    shape as ``head_document``). Deterministic: a document written again from the same
    event (a bank file's manifest on re-export) carries the same head."""
    row = connection.execute(sa.select(audit_events).where(audit_events.c.id == event_id)).one()
    occurred = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)
    return {
        "format": FORMAT,
        "at": occurred.astimezone(UTC).isoformat(timespec="seconds"),
        "journal": {"transaction_id": row.journal_transaction_id, "hash": row.journal_hash},
        "events": {"event_id": int(row.id), "hash": row.hash},
    }


def last_event_of(connection: sa.Connection, action: str, subject_id: str | int) -> int | None:
    """The newest event of ``action`` on ``subject_id``."""
    found = connection.execute(
        sa.select(sa.func.max(audit_events.c.id)).where(
            audit_events.c.action == action, audit_events.c.subject_id == str(subject_id)
        )
    ).scalar()
    return None if found is None else int(found)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint file, checked for shape; a clear error naming the file otherwise."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise LedgerError(f"{path}: not a readable checkpoint ({error})") from None
    if isinstance(document, dict) and "chain_head" in document:
        document = document["chain_head"]  # a manifest, a report: the head it carries
    try:
        journal, events = document["journal"], document["events"]
        for part, id_key in ((journal, "transaction_id"), (events, "event_id")):
            if part[id_key] is not None and (
                not isinstance(part[id_key], int) or not isinstance(part["hash"], str)
            ):
                raise TypeError(id_key)
    except (KeyError, TypeError) as error:
        raise LedgerError(f"{path}: not a checkpoint: field {error} missing or wrong") from None
    return dict(document)


def check_checkpoint(connection: sa.Connection, document: dict[str, Any]) -> list[str]:
    """What the ledger no longer holds of a witnessed head (empty when it holds both)."""
    problems = []
    for label, table, id_key in (
        ("journal", transactions, "transaction_id"),
        ("events", audit_events, "event_id"),
    ):
        witnessed = document[label]
        if witnessed[id_key] is None:
            continue
        stored = connection.execute(
            sa.select(table.c.hash).where(table.c.id == witnessed[id_key])
        ).scalar()
        noun = "transaction" if label == "journal" else "audit event"
        if stored is None:
            problems.append(
                f"{noun} {witnessed[id_key]} witnessed at {document.get('at')} is gone "
                "(the chain was truncated)"
            )
        elif stored != witnessed["hash"]:
            problems.append(
                f"{noun} {witnessed[id_key]} witnessed at {document.get('at')} now has another "
                "hash (the chain was re-forged from there)"
            )
    return problems
