"""The web console's sign-in records (docs/web.md).

``web_credentials``: one row per operator who may sign in to ``ledger web``.
  Never changes after insert: operator_id.
  May change: password_hash (``ledger operators set-password``: a salted scrypt hash,
  never the password), set_by/set_at; failed_count and locked_until (each failed
  sign-in counts; the Nth locks the operator out until locked_until and starts the
  count again; a successful sign-in resets it). Sign-ins and lock-outs are also audit
  events (``web.login``, ``web.login_failed``, ``web.locked``).
"""

import sqlalchemy as sa

from ledger.db.schema.base import Timestamp, metadata

web_credentials = sa.Table(
    "web_credentials",
    metadata,
    sa.Column("operator_id", sa.BigInteger, sa.ForeignKey("operators.id"), primary_key=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("set_by", sa.String(64), nullable=False),
    sa.Column("set_at", Timestamp, nullable=False),
    sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", Timestamp),
    sa.CheckConstraint("failed_count >= 0", name="failed_count_nonnegative"),
)
