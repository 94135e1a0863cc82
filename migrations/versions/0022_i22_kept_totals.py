"""Kept totals for the console (issue 22): ``account_balances`` (each account's sums of
postings), ``payable_rollups`` (the payables per program and township) and
``return_outcome_counts`` (each return file's outcomes per batch and
outcome), kept by the journal's write paths and the reconciliation in the transaction
that writes the rows they sum. Derived data, checked by ``ledger audit verify`` against
a recomputation; this migration computes them from the rows already recorded.

Revision ID: 0022_i22_kept_totals
Revises: 0021_roster_digest_heads
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_i22_kept_totals"
down_revision = "0021_roster_digest_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_balances",
        sa.Column("account_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("debits_fen", sa.BigInteger(), nullable=False),
        sa.Column("credits_fen", sa.BigInteger(), nullable=False),
        sa.Column("postings", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_balances_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_balances")),
    )
    op.create_table(
        "return_outcome_counts",
        sa.Column("return_file_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_file_id"],
            ["return_files.id"],
            name=op.f("fk_return_outcome_counts_return_file_id_return_files"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_return_outcome_counts_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint(
            "return_file_id", "batch_id", "outcome", name=op.f("pk_return_outcome_counts")
        ),
    )
    op.create_index(
        op.f("ix_return_outcome_counts_batch_id"), "return_outcome_counts", ["batch_id"]
    )
    op.create_table(
        "payable_rollups",
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("township", sa.String(length=32), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("debits_fen", sa.BigInteger(), nullable=False),
        sa.Column("credits_fen", sa.BigInteger(), nullable=False),
        sa.Column("accounts", sa.BigInteger(), nullable=False),
        sa.Column("enrolments_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("program", "township", name=op.f("pk_payable_rollups")),
    )
    # The totals of what is already recorded (the same sums ledger.db.kept_totals keeps).
    op.execute(
        "INSERT INTO account_balances (account_id, balance_fen, debits_fen, credits_fen,"
        " postings) SELECT account_id, SUM(amount_fen),"
        " SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END),"
        " SUM(CASE WHEN amount_fen < 0 THEN amount_fen ELSE 0 END), COUNT(*)"
        " FROM postings GROUP BY account_id"
    )
    op.execute(
        "INSERT INTO return_outcome_counts (return_file_id, batch_id, outcome, lines,"
        " amount_fen) SELECT o.return_file_id, i.batch_id, o.outcome, COUNT(*),"
        " SUM(i.amount_fen) FROM instruction_outcomes o"
        " JOIN payment_instructions i ON i.id = o.instruction_id"
        " GROUP BY o.return_file_id, i.batch_id, o.outcome"
    )
    op.execute(
        "INSERT INTO payable_rollups (program, township, balance_fen, debits_fen,"
        " credits_fen, accounts, enrolments_through) SELECT a.program,"
        " COALESCE(e.township, ''), SUM(k.balance_fen), SUM(k.debits_fen),"
        " SUM(k.credits_fen), COUNT(*), (SELECT COALESCE(MAX(id), 0) FROM enrolments)"
        " FROM account_balances k JOIN accounts a ON a.id = k.account_id"
        " LEFT JOIN recipients r ON r.key = a.recipient"
        " LEFT JOIN enrolments e ON e.recipient_id = r.id AND e.program = a.program"
        " AND e.valid_to_import IS NULL"
        " WHERE a.name >= 'Liabilities:Payable:' AND a.name < 'Liabilities:Payable;'"
        " GROUP BY a.program, e.township"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_return_outcome_counts_batch_id"), table_name="return_outcome_counts")
    op.drop_table("return_outcome_counts")
    op.drop_table("payable_rollups")
    op.drop_table("account_balances")
