"""Findings followed as cases (issue 23): write-offs with a checker's approval.

``findings`` gains ``written_off_fen`` (approved write-offs) and the pending proposal
(``write_off_pending_fen``, ``write_off_proposer``, ``write_off_reason``). Cases are a
grouping of findings (``ledger.db.finding_cases``), not a table; escalations and
recurrences are ``finding_events`` rows.

Revision ID: 0017_i23b_finding_write_offs
Revises: 0016_i23b_roster_warnings
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_i23b_finding_write_offs"
down_revision = "0016_i23b_roster_warnings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases (SQLite allows NOT NULL with a constant
    # default): the findings table is referenced by events and is not rebuilt.
    op.add_column(
        "findings",
        sa.Column("written_off_fen", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column("findings", sa.Column("write_off_pending_fen", sa.BigInteger(), nullable=True))
    op.add_column("findings", sa.Column("write_off_proposer", sa.String(length=64), nullable=True))
    op.add_column("findings", sa.Column("write_off_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("write_off_reason", "write_off_proposer", "write_off_pending_fen"):
        op.drop_column("findings", column)
    op.drop_column("findings", "written_off_fen")
