"""Held payments (DESIGN §10 "Holds"): screening at ``batch run`` and releases.

``instruction_holds``: one row per instruction and reason the screening matched, with the
evidence (which list, which import and row, the date it states, who reported it). Written
once, never changed. An instruction with at least one hold row was set ``held``.

``hold_releases``: a checker's written decision to pay a held instruction after all.
Written once, never changed; the release is also an audit event (``batch.hold_released``).
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, metadata

HOLD_REASONS = (
    "deceased",
    "public_employee",
    "cadre_relative",
    "exclusive_program",
    "duplicate_id",
    "shared_account",
    "account_closed",
    "name_unencodable",
    "above_standard",
    "vehicle",
    "property",
    "business",
    "provident_fund",
)

instruction_holds = sa.Table(
    "instruction_holds",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "instruction_id", sa.BigInteger, sa.ForeignKey("payment_instructions.id"), nullable=False
    ),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("reason", sa.String(24), nullable=False),
    # Evidence: the list or table matched (ref_deaths, ref_staff, instruction_outcomes...),
    # the row there, the date it states and its source, and a sentence for the sheet.
    sa.Column("list_name", sa.String(48), nullable=False),
    sa.Column("evidence_ref", sa.String(64)),
    sa.Column("evidence_date", sa.Date),
    sa.Column("source", sa.String(128)),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.CheckConstraint(
        "reason IN ('deceased', 'public_employee', 'cadre_relative', 'exclusive_program', "
        "'duplicate_id', 'shared_account', 'account_closed', 'name_unencodable', "
        "'above_standard', 'vehicle', 'property', 'business', 'provident_fund')",
        name="reason",
    ),
    sa.UniqueConstraint("instruction_id", "reason"),
    sa.Index(None, "batch_id"),
)

hold_releases = sa.Table(
    "hold_releases",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "instruction_id",
        sa.BigInteger,
        sa.ForeignKey("payment_instructions.id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("released_by", sa.String(64), nullable=False),
    sa.Column("released_at", Timestamp, nullable=False),
    sa.Index(None, "batch_id"),
)
