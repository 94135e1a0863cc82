"""Kept totals: derived data the journal and the reconciliation keep up to date in the
same transaction as the rows they sum, so that the console reads a few rows instead of
summing millions. Not a record: ``ledger audit verify`` recomputes each from its source
(postings, outcomes) and names any difference (``ledger.db.kept_totals``).
"""

import sqlalchemy as sa

from ledger.db.schema.base import metadata

# One row per account with postings: the sums of its postings (debit-positive).
account_balances = sa.Table(
    "account_balances",
    metadata,
    sa.Column(
        "account_id",
        sa.BigInteger,
        sa.ForeignKey("accounts.id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
    sa.Column("debits_fen", sa.BigInteger, nullable=False),
    sa.Column("credits_fen", sa.BigInteger, nullable=False),
    sa.Column("postings", sa.BigInteger, nullable=False),
)

# One row per return file, batch and outcome: the outcome rows a return file recorded
# for the instructions of a batch, and their amounts (the lines' amounts, fen).
return_outcome_counts = sa.Table(
    "return_outcome_counts",
    metadata,
    sa.Column(
        "return_file_id",
        sa.BigInteger,
        sa.ForeignKey("return_files.id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column(
        "batch_id",
        sa.BigInteger,
        sa.ForeignKey("batches.id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("outcome", sa.String(16), primary_key=True),
    sa.Column("lines", sa.BigInteger, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Index(None, "batch_id"),
)

# The payables rolled up per program and township (that of each recipient's current
# enrolment in the program; '' when none): the trial-balance tree's township level.
# ``enrolments_through`` is the newest enrolment id the roll-up was made with: once an
# enrolment is added (a roster import), it is stale, read around and rebuilt by the
# next journal write (``ledger.db.kept_totals``).
payable_rollups = sa.Table(
    "payable_rollups",
    metadata,
    sa.Column("program", sa.String(32), primary_key=True),
    sa.Column("township", sa.String(32), primary_key=True),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
    sa.Column("debits_fen", sa.BigInteger, nullable=False),
    sa.Column("credits_fen", sa.BigInteger, nullable=False),
    sa.Column("accounts", sa.BigInteger, nullable=False),
    sa.Column("enrolments_through", sa.BigInteger, nullable=False),
)
