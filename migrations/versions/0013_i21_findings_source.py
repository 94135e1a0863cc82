"""Findings say where they come from: the county's rules or the province's job.

``findings.source``: ``county`` (``ledger findings detect``, every finding stored so
far) or ``province`` (``ledger province import``: the county's side of a cross-county
finding of the province's Spark job, docs/province.md).

Revision ID: 0013_i21_findings_source
Revises: 0015_i17_holds
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_i21_findings_source"
down_revision = "0015_i17_holds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "findings",
        sa.Column("source", sa.String(length=16), server_default="county", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("source")
