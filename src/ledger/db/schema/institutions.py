"""集中供养 institution payments (issue 18): one bank instruction per care institution.

A 特困 resident of a care institution (roster column 供养机构, ``enrolments.institution``)
keeps an entitlement of their own; the institution is paid by ONE instruction per batch:
to the institution's account (county.toml ``[institutions.CODE]``), for the sum of its
residents' entitlements. As for a household payment (``ledger.households``) the
instruction names one entitlement, the *carrier*: the first resident's (lowest id), and
``household_shares`` links every resident's entitlement (the carrier's too) to it: the
shares of a payment that pays several entitlements by one instruction, a household's or
an institution's.

``institution_payments``: one row per institution payment, naming its carrier
entitlement and the institution; the shares of a carrier named here are an
institution's residents, not a household's members.
  Never changes, never deleted (append-only triggers, migration 0020).
  Guarantee: an entitlement carries at most one institution payment (primary key).
"""

import sqlalchemy as sa

from ledger.db.schema.base import metadata

institution_payments = sa.Table(
    "institution_payments",
    metadata,
    # The carrier entitlement, named by the institution's instructions.
    sa.Column(
        "entitlement_id",
        sa.BigInteger,
        sa.ForeignKey("entitlements.id"),
        primary_key=True,
        autoincrement=False,
    ),
    # The batch that created it (the audit digest's batch scope).
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), nullable=False),
    # The institution's code in county.toml.
    sa.Column("institution", sa.String(32), nullable=False),
    sa.Index(None, "batch_id"),
)
