"""The recipient roster: recipients, effective-dated enrolments, roster imports.

Revision ID: 0002_registry
Revises: 0001_ledger_core
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_registry"
down_revision = "0001_ledger_core"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "roster_imports",
        sa.Column("id", BigId, nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_imports")),
    )
    op.create_table(
        "recipients",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
        sa.UniqueConstraint("id_number", name=op.f("uq_recipients_id_number")),
        sa.UniqueConstraint("key", name=op.f("uq_recipients_key")),
    )
    op.create_table(
        "enrolments",
        sa.Column("id", BigId, nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("township", sa.String(length=32), nullable=False),
        sa.Column("village", sa.String(length=32), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("account_holder", sa.String(length=64), nullable=False),
        sa.Column("start_month", sa.String(length=7), nullable=False),
        sa.Column("end_month", sa.String(length=7), nullable=True),
        sa.Column("exit_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("valid_from_import", sa.BigInteger(), nullable=False),
        sa.Column("valid_to_import", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'exited')", name=op.f("ck_enrolments_status")
        ),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_enrolments_amount_nonnegative")),
        sa.CheckConstraint(
            "household_size > 0", name=op.f("ck_enrolments_household_size_positive")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"], name=op.f("fk_enrolments_recipient_id_recipients")
        ),
        sa.ForeignKeyConstraint(
            ["valid_from_import"],
            ["roster_imports.id"],
            name=op.f("fk_enrolments_valid_from_import_roster_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["valid_to_import"],
            ["roster_imports.id"],
            name=op.f("fk_enrolments_valid_to_import_roster_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
    )
    op.create_index(op.f("ix_enrolments_account_number"), "enrolments", ["account_number"])
    op.create_index(op.f("ix_enrolments_program_township"), "enrolments", ["program", "township"])
    op.create_index(
        op.f("ix_enrolments_recipient_id_program"), "enrolments", ["recipient_id", "program"]
    )
    op.create_index(
        "uq_enrolments_current",
        "enrolments",
        ["recipient_id", "program"],
        unique=True,
        sqlite_where=sa.text("valid_to_import IS NULL"),
        postgresql_where=sa.text("valid_to_import IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("enrolments")
    op.drop_table("recipients")
    op.drop_table("roster_imports")
