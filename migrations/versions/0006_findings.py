"""Findings of the exception rules and their append-only event log.

Revision ID: 0006_findings
Revises: 0005_reconciliation
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0006_findings"
down_revision = "0005_reconciliation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", BigId, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("township", sa.String(length=32), nullable=True),
        sa.Column("program", sa.String(length=32), nullable=True),
        sa.Column("recipient_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("recovered_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("first_detected_at", Timestamp, nullable=False),
        sa.Column("last_detected_at", Timestamp, nullable=False),
        sa.Column("closed_at", Timestamp, nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'assigned', 'rectified', 'verified', 'dismissed')",
            name=op.f("ck_findings_status"),
        ),
        sa.CheckConstraint(
            "category IN ('withheld', 'diverted', 'misappropriated', 'fluctuation')",
            name=op.f("ck_findings_category"),
        ),
        sa.CheckConstraint(
            "subject_type IN ('recipient', 'account', 'batch', 'township')",
            name=op.f("ck_findings_subject_type"),
        ),
        sa.CheckConstraint(
            "severity IN ('high', 'medium', 'low')", name=op.f("ck_findings_severity")
        ),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_findings_amount_nonnegative")),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"], name=op.f("fk_findings_recipient_id_recipients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_findings_fingerprint")),
    )
    op.create_index(op.f("ix_findings_period_category"), "findings", ["period", "category"])
    op.create_index(op.f("ix_findings_rule_period"), "findings", ["rule", "period"])
    op.create_index(op.f("ix_findings_status"), "findings", ["status"])
    op.create_table(
        "finding_events",
        sa.Column("id", BigId, nullable=False),
        sa.Column("finding_id", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", Timestamp, nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_finding_events_finding_id_findings")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_finding_events_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_events")),
    )
    op.create_index(op.f("ix_finding_events_finding_id"), "finding_events", ["finding_id"])
    run_sql_file("0006_findings.sql")


def downgrade() -> None:
    op.drop_table("finding_events")
    op.drop_table("findings")
