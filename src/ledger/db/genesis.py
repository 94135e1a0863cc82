"""Genesis events: one chained audit event per scope, recording its rows as they are.

Migration 0017 writes them for ledgers that existed before the chain; the verify bench
writes them for its synthetic ledger. Plain SQL over ``state_digest`` and
``event_chain`` only (no models), so that a migration may import it.
"""

from datetime import UTC, datetime

import sqlalchemy as sa

from ledger.db.state_digest import current_scopes, present_columns, scope_digest
from ledger.event_chain import canonical_json, event_hash
from ledger.journal import GENESIS_HASH

EVENTS = sa.table(
    "audit_events",
    *(
        sa.column(name)
        for name in (
            "id",
            "operator",
            "action",
            "subject_type",
            "subject_id",
            "detail",
            "db_login",
            "journal_transaction_id",
            "journal_hash",
            "state",
            "prev_hash",
            "hash",
        )
    ),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
)


def write_genesis(bind: sa.Connection, *, operator: str) -> int:
    """Append a genesis event for every scope the tables hold rows of; return how many."""
    # The tables this revision has: a migration's genesis runs before later tables exist.
    existing = present_columns(bind)
    names = current_scopes(bind, only=existing)
    return write_scope_events(bind, names, "chain.genesis", operator=operator, only=existing)


def write_scope_events(
    bind: sa.Connection,
    names: list[str],
    action: str,
    *,
    operator: str,
    only: dict[str, set[str]] | None = None,
) -> int:
    """Append one chained event per scope of ``names`` recording its rows as they are
    (digests of ``only``'s tables and columns, by default what the database has)."""
    existing = present_columns(bind) if only is None else only
    last = bind.execute(
        sa.text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
    ).first()
    last_id, prev = (0, GENESIS_HASH) if last is None else (int(last[0]), str(last[1]))
    head = bind.execute(
        sa.text("SELECT id, hash FROM transactions ORDER BY id DESC LIMIT 1")
    ).first()
    journal_id, journal_hash = (None, None) if head is None else (int(head[0]), str(head[1]))
    now = datetime.now(UTC)
    for name in names:
        last_id += 1
        values: dict[str, object] = {
            "id": last_id,
            "occurred_at": now,
            "operator": operator,
            "action": action,
            "subject_type": "scope",
            "subject_id": name,
            "detail": "{}",
            "journal_transaction_id": journal_id,
            "journal_hash": journal_hash,
            "state": canonical_json({name: scope_digest(bind, name, only=existing)}),
            "prev_hash": prev,
        }
        prev = values["hash"] = event_hash(values)
        bind.execute(EVENTS.insert().values(**values, db_login=operator))
    return len(names)
