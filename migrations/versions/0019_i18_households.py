"""Household payments (按户发放, issue 18): the roster's 户主 marker
(``enrolments.household_head``) and ``household_shares`` (each member's entitlement
linked to the household's, whose one instruction pays the household to the head's card).

The enrolment-version trigger is recreated with the new column among the fixed ones.

Revision ID: 0019_i18_households
Revises: 0018_held_release
Create Date: 2026-12-03
"""

from importlib.resources import files

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0019_i18_households"
down_revision = "0018_held_release"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "enrolments",
        sa.Column("household_head", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "household_shares",
        sa.Column("entitlement_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("household_entitlement_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_household_shares_amount_positive")),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_household_shares_entitlement_id_entitlements"),
        ),
        sa.ForeignKeyConstraint(
            ["household_entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_household_shares_household_entitlement_id_entitlements"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_household_shares_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_household_shares_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("entitlement_id", name=op.f("pk_household_shares")),
    )
    op.create_index(
        op.f("ix_household_shares_household_entitlement_id"),
        "household_shares",
        ["household_entitlement_id"],
    )
    op.create_index(op.f("ix_household_shares_recipient_id"), "household_shares", ["recipient_id"])
    op.create_index(op.f("ix_household_shares_batch_id"), "household_shares", ["batch_id"])
    run_sql_file("0019_households.sql")


def _old_enrolment_trigger(dialect: str) -> str:
    """The enrolment-version trigger as 0016 created it (without the head marker)."""
    text = (
        files("ledger.migrations")
        .joinpath("sql", dialect, "0016_frozen_decisions.sql")
        .read_text("utf-8")
    )
    for statement in text.split("\n-- statement\n"):
        if "CREATE TRIGGER enrolments_version_fixed" in statement:
            return statement
    raise RuntimeError("0016_frozen_decisions.sql: no enrolments_version_fixed trigger")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("household_shares")
    if dialect == "postgresql":
        op.execute("DROP TRIGGER enrolments_version_fixed ON enrolments")
    else:
        op.execute("DROP TRIGGER enrolments_version_fixed")
    op.execute("ALTER TABLE enrolments DROP COLUMN household_head")
    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_old_enrolment_trigger(dialect))
    finally:
        cursor.close()
