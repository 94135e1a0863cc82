"""Household payments (按户发放, issue 18): one bank instruction per household.

In a program whose county.toml says ``pay_to = "household"``, every member keeps an
entitlement of their own (what the roster says they are owed), but the household is
paid by ONE instruction: to the 户主's (household head's) card, for the sum of the
members' entitlements. The instruction names the head's entitlement
(``payment_instructions.entitlement_id``), so every attempt of it (a re-issue is a new
instruction for the same entitlement) pays the same household.

``household_shares``: one row per member's entitlement (the head's too), linking it to
the household's entitlement (the head's, which the instructions name).
  Never changes, never deleted (append-only triggers, migration 0019).
  Guarantee: an entitlement is a share of at most one household (primary key); the
  shares of a household sum to its instructions' amount (written together at
  ``batch run``, ``ledger.households``).
"""

import sqlalchemy as sa

from ledger.db.schema.base import metadata

household_shares = sa.Table(
    "household_shares",
    metadata,
    # The member's entitlement.
    sa.Column(
        "entitlement_id",
        sa.BigInteger,
        sa.ForeignKey("entitlements.id"),
        primary_key=True,
        autoincrement=False,
    ),
    # The household's entitlement: the head's, named by the household's instructions.
    sa.Column(
        "household_entitlement_id",
        sa.BigInteger,
        sa.ForeignKey("entitlements.id"),
        nullable=False,
    ),
    # The batch that created the entitlements (the audit digest's batch scope).
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("recipients.id"), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("household_id", sa.String(64), nullable=False),
    sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    sa.Index(None, "household_entitlement_id"),
    sa.Index(None, "batch_id"),
    sa.Index(None, "recipient_id"),
)
