"""Fund lineage: which allocation each fen drawn or given back concerns (issue 19).

One append-only table tied to journal transactions, with triggers that refuse changes
and any row taking more from an allocation than it holds (docs/ledger.md "Fund
lineage"). Fundings recorded before this migration get no rows: they are not
attributed to a source (their allocations look unspent to the by-source report).

Revision ID: 0016_i19_fund_lineage
Revises: 0017_i16_event_chain
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0016_i19_fund_lineage"
down_revision = "0017_i16_event_chain"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "fund_lineage",
        sa.Column("id", BigId, nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.BigInteger(), nullable=True),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_fund_lineage_amount_nonzero")),
        sa.CheckConstraint(
            "kind IN ('draw', 'return', 'recovery', 'withdrawn', 'carry_out', 'refund')",
            name=op.f("ck_fund_lineage_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocations.transaction_id"],
            name=op.f("fk_fund_lineage_allocation_id_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_fund_lineage_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_lineage")),
        sa.UniqueConstraint(
            "transaction_id", "seq", name=op.f("uq_fund_lineage_transaction_id_seq")
        ),
    )
    op.create_index(op.f("ix_fund_lineage_allocation_id"), "fund_lineage", ["allocation_id"])
    op.create_index(op.f("ix_fund_lineage_program_source"), "fund_lineage", ["program", "source"])
    run_sql_file("0016_fund_lineage.sql")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS fund_lineage_within_allocation ON fund_lineage")
        op.execute("DROP FUNCTION IF EXISTS ledger_fund_lineage_within_allocation()")
    op.drop_index(op.f("ix_fund_lineage_program_source"), table_name="fund_lineage")
    op.drop_index(op.f("ix_fund_lineage_allocation_id"), table_name="fund_lineage")
    op.drop_table("fund_lineage")
