"""Roster import scope, reference lists for audits (deaths, staff, cadres), allocations.

Revision ID: 0003_registry_refdata_funds
Revises: 0002_registry
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_registry_refdata_funds"
down_revision = "0002_registry"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "roster_import_details",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("roster_month", sa.String(length=7), nullable=False),
        sa.Column("programs", sa.Text(), nullable=False),
        sa.Column("townships", sa.Text(), nullable=True),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.Column("added_count", sa.Integer(), nullable=False),
        sa.Column("changed_count", sa.Integer(), nullable=False),
        sa.Column("exited_count", sa.Integer(), nullable=False),
        sa.Column("unchanged_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["roster_imports.id"],
            name=op.f("fk_roster_import_details_import_id_roster_imports"),
        ),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_roster_import_details")),
    )
    op.create_index(op.f("ix_enrolments_valid_from_import"), "enrolments", ["valid_from_import"])
    op.create_index(op.f("ix_enrolments_valid_to_import"), "enrolments", ["valid_to_import"])

    op.create_table(
        "refdata_imports",
        sa.Column("id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("imported_at", Timestamp, nullable=False),
        sa.CheckConstraint(
            "kind IN ('deaths', 'staff', 'cadres')", name=op.f("ck_refdata_imports_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refdata_imports")),
    )
    op.create_table(
        "ref_deaths",
        sa.Column("id", BigId, nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("death_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["refdata_imports.id"],
            name=op.f("fk_ref_deaths_import_id_refdata_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_deaths")),
    )
    op.create_index(op.f("ix_ref_deaths_id_number"), "ref_deaths", ["id_number"])
    op.create_index(op.f("ix_ref_deaths_import_id"), "ref_deaths", ["import_id"])
    op.create_table(
        "ref_staff",
        sa.Column("id", BigId, nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("employer", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["refdata_imports.id"],
            name=op.f("fk_ref_staff_import_id_refdata_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_staff")),
    )
    op.create_index(op.f("ix_ref_staff_id_number"), "ref_staff", ["id_number"])
    op.create_index(op.f("ix_ref_staff_import_id"), "ref_staff", ["import_id"])
    op.create_table(
        "ref_staff_accounts",
        sa.Column("id", BigId, nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["refdata_imports.id"],
            name=op.f("fk_ref_staff_accounts_import_id_refdata_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_staff_accounts")),
    )
    op.create_index(
        op.f("ix_ref_staff_accounts_account_number"), "ref_staff_accounts", ["account_number"]
    )
    op.create_index(op.f("ix_ref_staff_accounts_import_id"), "ref_staff_accounts", ["import_id"])
    op.create_table(
        "ref_cadre_relatives",
        sa.Column("id", BigId, nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("cadre_id_number", sa.String(length=18), nullable=False),
        sa.Column("cadre_name", sa.String(length=64), nullable=False),
        sa.Column("employer", sa.String(length=128), nullable=True),
        sa.Column("position", sa.String(length=64), nullable=True),
        sa.Column("relative_id_number", sa.String(length=18), nullable=True),
        sa.Column("relative_name", sa.String(length=64), nullable=True),
        sa.Column("relation", sa.String(length=32), nullable=True),
        sa.Column("filed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["refdata_imports.id"],
            name=op.f("fk_ref_cadre_relatives_import_id_refdata_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_cadre_relatives")),
    )
    op.create_index(
        op.f("ix_ref_cadre_relatives_cadre_id_number"), "ref_cadre_relatives", ["cadre_id_number"]
    )
    op.create_index(
        op.f("ix_ref_cadre_relatives_relative_id_number"),
        "ref_cadre_relatives",
        ["relative_id_number"],
    )
    op.create_index(op.f("ix_ref_cadre_relatives_import_id"), "ref_cadre_relatives", ["import_id"])

    op.create_table(
        "allocations",
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("doc_number", sa.String(length=128), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("allocation_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_allocations_amount_positive")),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_allocations_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_allocations")),
    )
    op.create_index(op.f("ix_allocations_program_source"), "allocations", ["program", "source"])


def downgrade() -> None:
    op.drop_table("allocations")
    op.drop_table("ref_cadre_relatives")
    op.drop_table("ref_staff_accounts")
    op.drop_table("ref_staff")
    op.drop_table("ref_deaths")
    op.drop_table("refdata_imports")
    op.drop_index(op.f("ix_enrolments_valid_to_import"), table_name="enrolments")
    op.drop_index(op.f("ix_enrolments_valid_from_import"), table_name="enrolments")
    op.drop_table("roster_import_details")
