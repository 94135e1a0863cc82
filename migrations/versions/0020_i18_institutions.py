"""集中供养 institution payments (issue 18): the roster's 供养机构
(``enrolments.institution``) and ``institution_payments`` (the carrier entitlement of
each institution's one instruction per batch; its residents' shares are in
``household_shares``).

The enrolment-version trigger is recreated with the new column among the fixed ones.

Revision ID: 0020_i18_institutions
Revises: 0019_i18_deductions
Create Date: 2026-12-04
"""

from importlib.resources import files

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0020_i18_institutions"
down_revision = "0019_i18_deductions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("enrolments", sa.Column("institution", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_enrolments_institution",
        "enrolments",
        ["institution"],
        sqlite_where=sa.text("institution IS NOT NULL"),
        postgresql_where=sa.text("institution IS NOT NULL"),
    )
    op.create_table(
        "institution_payments",
        sa.Column("entitlement_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("institution", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_institution_payments_entitlement_id_entitlements"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_institution_payments_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("entitlement_id", name=op.f("pk_institution_payments")),
    )
    op.create_index(op.f("ix_institution_payments_batch_id"), "institution_payments", ["batch_id"])
    run_sql_file("0020_institutions.sql")


def _old_enrolment_trigger(dialect: str) -> str:
    """The enrolment-version trigger as 0019 created it (without the institution)."""
    text = (
        files("ledger.migrations")
        .joinpath("sql", dialect, "0019_households.sql")
        .read_text("utf-8")
    )
    for statement in text.split("\n-- statement\n"):
        if "CREATE TRIGGER enrolments_version_fixed" in statement:
            return statement
    raise RuntimeError("0019_households.sql: no enrolments_version_fixed trigger")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("institution_payments")
    if dialect == "postgresql":
        op.execute("DROP TRIGGER enrolments_version_fixed ON enrolments")
    else:
        op.execute("DROP TRIGGER enrolments_version_fixed")
    op.drop_index("ix_enrolments_institution", table_name="enrolments")
    op.execute("ALTER TABLE enrolments DROP COLUMN institution")
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_old_enrolment_trigger(dialect))
    finally:
        cursor.close()
