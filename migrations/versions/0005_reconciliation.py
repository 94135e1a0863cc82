"""Bank return files, instruction outcomes and reconciliation exceptions.

Revision ID: 0005_reconciliation
Revises: 0004_batches
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_reconciliation"
down_revision = "0004_batches"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "return_files",
        sa.Column("id", BigId, nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("settled_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("exception_count", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_files")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_return_files_file_sha256")),
    )
    op.create_table(
        "instruction_outcomes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("instruction_id", sa.BigInteger(), nullable=False),
        sa.Column("return_file_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("element", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=8), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", Timestamp, nullable=False),
        sa.CheckConstraint(
            "outcome IN ('settled', 'failed', 'pending', 'returned')",
            name=op.f("ck_instruction_outcomes_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["payment_instructions.id"],
            name=op.f("fk_instruction_outcomes_instruction_id_payment_instructions"),
        ),
        sa.ForeignKeyConstraint(
            ["return_file_id"],
            ["return_files.id"],
            name=op.f("fk_instruction_outcomes_return_file_id_return_files"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_instruction_outcomes_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction_outcomes")),
    )
    op.create_index(
        op.f("ix_instruction_outcomes_instruction_id"), "instruction_outcomes", ["instruction_id"]
    )
    op.create_index(
        op.f("ix_instruction_outcomes_return_file_id"), "instruction_outcomes", ["return_file_id"]
    )
    op.create_table(
        "reconciliation_exceptions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("return_file_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("element", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=True),
        sa.Column("instruction_id", sa.BigInteger(), nullable=True),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("account_number", sa.String(length=40), nullable=True),
        sa.Column("holder_name", sa.String(length=64), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.CheckConstraint(
            "kind IN ('unmatched', 'duplicate_confirmation', 'amount_mismatch', "
            "'account_mismatch', 'batch_not_exported', 'control_total')",
            name=op.f("ck_reconciliation_exceptions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_reconciliation_exceptions_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["payment_instructions.id"],
            name=op.f("fk_reconciliation_exceptions_instruction_id_payment_instructions"),
        ),
        sa.ForeignKeyConstraint(
            ["return_file_id"],
            ["return_files.id"],
            name=op.f("fk_reconciliation_exceptions_return_file_id_return_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_exceptions")),
    )
    for column in ("instruction_id", "kind", "return_file_id"):
        op.create_index(
            op.f(f"ix_reconciliation_exceptions_{column}"), "reconciliation_exceptions", [column]
        )


def downgrade() -> None:
    op.drop_table("reconciliation_exceptions")
    op.drop_table("instruction_outcomes")
    op.drop_table("return_files")
