"""Frozen decisions: the database refuses to rewrite a decision once it is made (issue 16).

A payment instruction's payee and amount, an entitlement, a batch's identity and each of
its lifecycle stamps (approval, export and file hash, void), recipients and enrolment
versions (only the current version is closed, once), imports and reference rows,
findings' identity (their status moves only with the finding event that records it) and
grants. Deletes of these rows are refused. Dialect triggers:
``migrations/sql/{sqlite,postgresql}/0016_frozen_decisions.sql``.

Revision ID: 0016_i16_frozen_decisions
Revises: 0016_i17r_asset_lists
Create Date: 2026-12-03
"""

import re
from importlib.resources import files

from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0016_i16_frozen_decisions"
down_revision = "0016_i17r_asset_lists"
branch_labels = None
depends_on = None

SQL_FILE = "0016_frozen_decisions.sql"


def upgrade() -> None:
    run_sql_file(SQL_FILE)


def _triggers(dialect: str) -> list[tuple[str, str]]:
    """(trigger, table) of every trigger the SQL file creates."""
    text = files("ledger.migrations").joinpath("sql", dialect, SQL_FILE).read_text("utf-8")
    return re.findall(r"CREATE TRIGGER (\w+) BEFORE [\w ]+? ON (\w+)", text)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for trigger, table in _triggers(dialect):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_finding_status_by_event()")
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse_frozen()")
