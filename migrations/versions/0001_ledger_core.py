"""The ledger core: accounts, periods, transactions, postings, audit events, and the
triggers that make the journal append-only and balanced.

Revision ID: 0001_ledger_core
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0001_ledger_core"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("balance_rule", sa.String(length=16), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("bank", sa.String(length=32), nullable=True),
        sa.Column("recipient", sa.String(length=32), nullable=True),
        sa.Column("township", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "balance_rule IN ('any', 'debit_only', 'credit_only')",
            name=op.f("ck_accounts_balance_rule"),
        ),
        sa.CheckConstraint(
            "kind IN ('Assets', 'Liabilities', 'Income', 'Expenses', 'Equity')",
            name=op.f("ck_accounts_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", BigId, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        op.f("ix_audit_events_subject_type_subject_id"),
        "audit_events",
        ["subject_type", "subject_id"],
    )
    op.create_table(
        "periods",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_periods_status")),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_periods")),
    )
    op.create_table(
        "transactions",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posting_count", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("posting_count > 0", name=op.f("ck_transactions_posting_count")),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["transactions.id"],
            name=op.f("fk_transactions_reverses_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("hash", name=op.f("uq_transactions_hash")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_transactions_idempotency_key")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_transactions_reverses_id")),
    )
    op.create_index(op.f("ix_transactions_effective_date"), "transactions", ["effective_date"])
    op.create_index(op.f("ix_transactions_type"), "transactions", ["type"])
    op.create_table(
        "postings",
        sa.Column("id", BigId, nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("instruction_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_postings_amount_nonzero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_postings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_postings_transaction_id_transactions"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    op.create_index(op.f("ix_postings_account_id"), "postings", ["account_id"])
    op.create_index(op.f("ix_postings_instruction_id"), "postings", ["instruction_id"])
    op.create_index(op.f("ix_postings_transaction_id"), "postings", ["transaction_id"])
    run_sql_file("0001_journal_guards.sql")


def downgrade() -> None:
    # The journal is the record of public money: it is never dropped by a migration.
    raise RuntimeError("the ledger core cannot be downgraded; restore a backup instead")
