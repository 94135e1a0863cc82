"""Payment batches: batches, entitlements, payment instructions (see ledger.db.schema.batches).

Revision ID: 0004_batches
Revises: 0003_registry_refdata_funds
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_batches"
down_revision = "0003_registry_refdata_funds"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", BigId, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("instruction_count", sa.Integer(), nullable=False),
        sa.Column("amount_fen_total", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accrual_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("exported_by", sa.String(length=64), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("funding_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("profile", sa.String(length=32), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("pay_date", sa.Date(), nullable=True),
        sa.Column("voided_by", sa.String(length=64), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("void_transaction_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("kind IN ('regular', 'supplementary')", name=op.f("ck_batches_kind")),
        sa.CheckConstraint(
            "state IN ('draft', 'approved', 'exported', 'partially_reconciled', "
            "'reconciled', 'closed', 'voided')",
            name=op.f("ck_batches_state"),
        ),
        sa.CheckConstraint("amount_fen_total > 0", name=op.f("ck_batches_amount_positive")),
        sa.CheckConstraint(
            "instruction_count > 0", name=op.f("ck_batches_instruction_count_positive")
        ),
        sa.ForeignKeyConstraint(
            ["accrual_transaction_id"],
            ["transactions.id"],
            name=op.f("fk_batches_accrual_transaction_id_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["funding_transaction_id"],
            ["transactions.id"],
            name=op.f("fk_batches_funding_transaction_id_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["void_transaction_id"],
            ["transactions.id"],
            name=op.f("fk_batches_void_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint(
            "period",
            "program",
            "bank",
            "kind",
            "sequence",
            name=op.f("uq_batches_period_program_bank_kind_sequence"),
        ),
    )
    op.create_index(op.f("ix_batches_file_sha256"), "batches", ["file_sha256"])
    op.create_index(op.f("ix_batches_state"), "batches", ["state"])
    op.create_index(
        "uq_batches_live_regular",
        "batches",
        ["period", "program", "bank"],
        unique=True,
        sqlite_where=sa.text("kind = 'regular' AND state <> 'voided'"),
        postgresql_where=sa.text("kind = 'regular' AND state <> 'voided'"),
    )

    op.create_table(
        "entitlements",
        sa.Column("id", BigId, nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("enrolment_id", sa.BigInteger(), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("township", sa.String(length=32), nullable=False),
        sa.Column("village", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('regular')", name=op.f("ck_entitlements_kind")),
        sa.CheckConstraint(
            "status IN ('open', 'voided', 'cancelled')", name=op.f("ck_entitlements_status")
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_entitlements_amount_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_entitlements_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_entitlements_enrolment_id_enrolments"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_entitlements_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlements")),
    )
    op.create_index(op.f("ix_entitlements_batch_id"), "entitlements", ["batch_id"])
    op.create_index(op.f("ix_entitlements_period_program"), "entitlements", ["period", "program"])
    op.create_index(
        "uq_entitlements_live_regular",
        "entitlements",
        ["recipient_id", "program", "period"],
        unique=True,
        sqlite_where=sa.text("kind = 'regular' AND status <> 'voided'"),
        postgresql_where=sa.text("kind = 'regular' AND status <> 'voided'"),
    )

    op.create_table(
        "payment_instructions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("entitlement_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("township", sa.String(length=32), nullable=False),
        sa.Column("village", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("account_holder", sa.String(length=64), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reissue_of", sa.BigInteger(), nullable=True),
        sa.Column("reason_code", sa.String(length=8), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'settled', 'failed', 'reissued', 'cancelled', 'voided')",
            name=op.f("ck_payment_instructions_status"),
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_payment_instructions_amount_positive")),
        sa.CheckConstraint("attempt > 0", name=op.f("ck_payment_instructions_attempt_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_payment_instructions_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_payment_instructions_entitlement_id_entitlements"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_payment_instructions_recipient_id_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["reissue_of"],
            ["payment_instructions.id"],
            name=op.f("fk_payment_instructions_reissue_of_payment_instructions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_instructions")),
        sa.UniqueConstraint(
            "batch_id", "line_number", name=op.f("uq_payment_instructions_batch_id_line_number")
        ),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_payment_instructions_end_to_end_id")),
        sa.UniqueConstraint(
            "entitlement_id", "attempt", name=op.f("uq_payment_instructions_entitlement_id_attempt")
        ),
    )
    op.create_index(
        op.f("ix_payment_instructions_recipient_id"), "payment_instructions", ["recipient_id"]
    )
    op.create_index(
        "ix_payment_instructions_reissue_of",
        "payment_instructions",
        ["reissue_of"],
        sqlite_where=sa.text("reissue_of IS NOT NULL"),
        postgresql_where=sa.text("reissue_of IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("payment_instructions")
    op.drop_table("entitlements")
    op.drop_table("batches")
