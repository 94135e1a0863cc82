"""Allocations: the document behind each allocation entry in the journal.

The journal transaction (Dr Treasury / Cr Appropriation) is the record of the money;
this row names its source, program and allocation document (文号) so that allocations
can be listed and matched without parsing descriptions. Written in the same database
transaction as the entry; never changed (a correction is a reversal in the journal).
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, metadata

allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("transaction_id", sa.BigInteger, sa.ForeignKey("transactions.id"), primary_key=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("program", sa.String(32), nullable=False),
    sa.Column("doc_number", sa.String(128), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("allocation_date", sa.Date, nullable=False),
    sa.Column("note", sa.Text),
    sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    sa.Index(None, "program", "source"),
)

# Fund lineage (docs/ledger.md "Fund lineage"): which allocation each fen drawn from or
# given back to the special account concerns, tied to the journal transaction that moved
# it. Append-only; the triggers also refuse taking more from an allocation than it holds
# or giving back more than was taken.
LINEAGE_KINDS = ("draw", "return", "recovery", "withdrawn", "carry_out", "refund")

fund_lineage = sa.Table(
    "fund_lineage",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("transaction_id", sa.BigInteger, sa.ForeignKey("transactions.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column(
        "allocation_id", sa.BigInteger, sa.ForeignKey("allocations.transaction_id"), nullable=True
    ),
    sa.Column("program", sa.String(32), nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.CheckConstraint("amount_fen <> 0", name="amount_nonzero"),
    sa.CheckConstraint(
        "kind IN ('draw', 'return', 'recovery', 'withdrawn', 'carry_out', 'refund')",
        name="kind",
    ),
    sa.UniqueConstraint("transaction_id", "seq"),
    sa.Index(None, "allocation_id"),
    sa.Index(None, "program", "source"),
)
