"""The audit events become one hash chain, cross-linked to the journal (issue 16).

``audit_events`` gains the journal head of each event's time, the digests of the rows
it touched (``state``), ``prev_hash`` and ``hash``. Existing events are chained as they
stand, in id order (they name no journal head and no state: nobody recorded them); then
one genesis event per scope (each batch, each reference-list import, the roster,
findings, operators, periods) records the rows as they are now, so an old ledger
verifies from here on. Dialect triggers: ``migrations/sql/*/0017_event_chain.sql``.

This migration imports ``ledger.event_chain`` and ``ledger.db.genesis`` (both free of
the models): the genesis must be hashed exactly as ``audit verify`` recomputes it.

Revision ID: 0017_i16_event_chain
Revises: 0016_i16_frozen_decisions
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from ledger.db.genesis import write_genesis
from ledger.event_chain import event_hash
from ledger.journal import GENESIS_HASH
from ledger.migrations.sql import run_sql_file

revision = "0017_i16_event_chain"
down_revision = "0016_i16_frozen_decisions"
branch_labels = None
depends_on = None

COLUMNS = (
    ("journal_transaction_id", sa.BigInteger()),
    ("journal_hash", sa.String(length=64)),
    ("state", sa.Text()),
    ("prev_hash", sa.String(length=64)),
    ("hash", sa.String(length=64)),
)
EVENTS = sa.table(
    "audit_events",
    sa.column("id", sa.BigInteger()),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("operator", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject_type", sa.String()),
    sa.column("subject_id", sa.String()),
    sa.column("detail", sa.Text()),
    sa.column("db_login", sa.String()),
    *(sa.column(name, type_) for name, type_ in COLUMNS),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("audit_events", sa.Column(name, type_, nullable=True))
    bind = op.get_bind()
    _with_updates_allowed(bind, lambda: _chain_existing(bind))
    run_sql_file("0017_event_chain.sql")
    write_genesis(bind, operator="migration 0017")


def _with_updates_allowed(bind: sa.Connection, work) -> None:  # type: ignore[no-untyped-def]
    """Run ``work`` with the append-only guard of audit_events off (0001 installs it)."""
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        work()
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        return
    op.execute("DROP TRIGGER audit_events_no_update")
    work()
    op.execute(
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events\n"
        "BEGIN\n    SELECT RAISE(ABORT, 'ledger: audit events are append-only');\nEND"
    )


def _chain_existing(bind: sa.Connection) -> None:
    prev = GENESIS_HASH
    rows = bind.execute(sa.select(EVENTS).order_by(EVENTS.c.id)).mappings().all()
    for row in rows:
        values = {**row, "journal_transaction_id": None, "journal_hash": None, "state": ""}
        values["prev_hash"] = prev
        values["hash"] = event_hash(values)
        bind.execute(
            EVENTS.update()
            .where(EVENTS.c.id == row["id"])
            .values(state="", prev_hash=prev, hash=values["hash"])
        )
        prev = values["hash"]


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_chain ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS ledger_audit_event_chain()")
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        op.execute("DELETE FROM audit_events WHERE action = 'chain.genesis'")
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_chain")
        op.execute("DROP TRIGGER audit_events_no_delete")
        op.execute("DELETE FROM audit_events WHERE action = 'chain.genesis'")
        op.execute(
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events\n"
            "BEGIN\n    SELECT RAISE(ABORT, 'ledger: audit events are append-only');\nEND"
        )
    for name, _ in reversed(COLUMNS):
        op.drop_column("audit_events", name)
