"""Held payments: instruction status ``held``, the holds and their releases (issue 17).

``payment_instructions.status`` gains ``held`` (screening at ``batch run``). On
PostgreSQL the check constraint is dropped and added again. On SQLite a CHECK cannot be
altered, and rebuilding the table would have to drop a table that instruction outcomes,
exceptions and postings reference; the constraint only widens (existing rows stay
valid), so the stored table definition is edited in place, the way SQLite's ALTER TABLE
documentation describes for such changes (writable_schema, schema_version + 1).

Revision ID: 0015_i17_holds
Revises: 0011_i14_findings
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0015_i17_holds"
down_revision = "0011_i14_findings"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OLD = "status IN ('pending', 'settled', 'failed', 'reissued', 'cancelled', 'voided')"
NEW = "status IN ('pending', 'settled', 'failed', 'reissued', 'cancelled', 'voided', 'held')"
NAME = "ck_payment_instructions_status"

REASONS = (
    "reason IN ('deceased', 'public_employee', 'cadre_relative', 'exclusive_program', "
    "'duplicate_id', 'shared_account', 'account_closed', 'name_unencodable', "
    "'above_standard')"
)


def _sqlite_replace_check(old: str, new: str) -> None:
    connection = op.get_bind()
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'payment_instructions'"
    ).scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError(f"payment_instructions: expected the check {old!r} once in {sql!r}")
    version = int(connection.exec_driver_sql("PRAGMA schema_version").scalar_one())
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'payment_instructions'",
        (sql.replace(old, new),),
    )
    connection.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema = OFF")


def _set_status_check(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_replace_check(old, new)
    else:
        op.drop_constraint(op.f(NAME), "payment_instructions", type_="check")
        op.create_check_constraint(op.f(NAME), "payment_instructions", new)


def upgrade() -> None:
    _set_status_check(OLD, NEW)
    op.create_table(
        "instruction_holds",
        sa.Column("id", BigId, nullable=False),
        sa.Column("instruction_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("list_name", sa.String(length=48), nullable=False),
        sa.Column("evidence_ref", sa.String(length=64), nullable=True),
        sa.Column("evidence_date", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(REASONS, name=op.f("ck_instruction_holds_reason")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_instruction_holds_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["payment_instructions.id"],
            name=op.f("fk_instruction_holds_instruction_id_payment_instructions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction_holds")),
        sa.UniqueConstraint(
            "instruction_id", "reason", name=op.f("uq_instruction_holds_instruction_id_reason")
        ),
    )
    op.create_index(op.f("ix_instruction_holds_batch_id"), "instruction_holds", ["batch_id"])
    op.create_table(
        "hold_releases",
        sa.Column("id", BigId, nullable=False),
        sa.Column("instruction_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("released_by", sa.String(length=64), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_hold_releases_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["payment_instructions.id"],
            name=op.f("fk_hold_releases_instruction_id_payment_instructions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold_releases")),
        sa.UniqueConstraint("instruction_id", name=op.f("uq_hold_releases_instruction_id")),
    )
    op.create_index(op.f("ix_hold_releases_batch_id"), "hold_releases", ["batch_id"])
    run_sql_file("0015_holds.sql")


def downgrade() -> None:
    op.drop_index(op.f("ix_hold_releases_batch_id"), table_name="hold_releases")
    op.drop_table("hold_releases")
    op.drop_index(op.f("ix_instruction_holds_batch_id"), table_name="instruction_holds")
    op.drop_table("instruction_holds")
    op.execute("UPDATE payment_instructions SET status = 'voided' WHERE status = 'held'")
    _set_status_check(NEW, OLD)
