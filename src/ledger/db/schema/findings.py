"""Findings: what the exception rules found, and the append-only log of what was done.

``findings``: one row per rule, subject, period and program (the ``fingerprint``, a
SHA-256 of rule, subject type, subject id, period and program, is unique), so running
detection again updates
the row it found before instead of adding a duplicate.
  Never changes after insert: fingerprint, rule, category, subject, period, township,
  program, recipient_id, first_detected_at.
  ``source``: county (the county's rules) or province (``ledger province import``).
  May change: severity, amount_fen, evidence, summary, last_detected_at (each detection
  that finds it again); status open -> assigned -> rectified -> verified, or -> dismissed,
  and verified/rectified -> open when the condition comes back; owner, due_date,
  closed_at; recovered_fen (each recovery posted); written_off_fen and the pending
  write-off (``findings write-off`` / ``approve-write-off``).
``finding_events``: who did what to a finding and when (detected, reopened, recurrence,
  assigned, rectified, dismissed, verified, verify_failed, recovery_posted,
  recovery_received, write_off_proposed, write_off_approved, escalated).
  Append-only: UPDATE and DELETE are refused by triggers (migrations/sql).
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, metadata

FINDING_STATUSES = ("open", "assigned", "rectified", "verified", "dismissed")
CATEGORIES = ("withheld", "diverted", "misappropriated", "fluctuation")
SUBJECT_TYPES = ("recipient", "account", "batch", "township")

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("rule", sa.String(8), nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("subject_type", sa.String(16), nullable=False),
    sa.Column("subject_id", sa.String(200), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("township", sa.String(32)),
    sa.Column("program", sa.String(32)),
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("recipients.id")),
    # Amount at risk in fen.
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("recovered_fen", sa.BigInteger, nullable=False, server_default="0"),
    # Written off with a checker's approval (money that will not come back), in fen; and
    # a write-off proposed, waiting for that approval (amount, proposer, reason).
    sa.Column("written_off_fen", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("write_off_pending_fen", sa.BigInteger),
    sa.Column("write_off_proposer", sa.String(64)),
    sa.Column("write_off_reason", sa.Text),
    # JSON: transaction ids, instruction ids, return file and line, reference rows.
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(64)),
    sa.Column("due_date", sa.Date),
    sa.Column("first_detected_at", Timestamp, nullable=False),
    sa.Column("last_detected_at", Timestamp, nullable=False),
    sa.Column("closed_at", Timestamp),
    # county: the county's own rules; province: imported from the province's job.
    sa.Column("source", sa.String(16), nullable=False, server_default="county"),
    sa.CheckConstraint(
        "status IN ('open', 'assigned', 'rectified', 'verified', 'dismissed')", name="status"
    ),
    sa.CheckConstraint(
        "category IN ('withheld', 'diverted', 'misappropriated', 'fluctuation')", name="category"
    ),
    sa.CheckConstraint(
        "subject_type IN ('recipient', 'account', 'batch', 'township')", name="subject_type"
    ),
    sa.CheckConstraint("severity IN ('high', 'medium', 'low')", name="severity"),
    sa.CheckConstraint("amount_fen >= 0", name="amount_nonnegative"),
    sa.Index(None, "period", "category"),
    sa.Index(None, "rule", "period"),
    sa.Index(None, "status"),
)

finding_events = sa.Table(
    "finding_events",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("finding_id", sa.BigInteger, sa.ForeignKey("findings.id"), nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("operator", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("note", sa.Text),
    # The journal transaction of a recovery entry, when the event posted one.
    sa.Column("transaction_id", sa.BigInteger, sa.ForeignKey("transactions.id")),
    sa.Column("db_login", sa.String(64)),
    sa.Index(None, "finding_id"),
)
