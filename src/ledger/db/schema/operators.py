"""Operators, their roles and the approvals of batches (DESIGN §10).

``operators``: who may act. Never changes after insert: name (as registered), name_key
(NFKC, trimmed, case-folded; unique), full_name, department, created_by/at, legacy.
May change once: disabled_by/at (an operator is disabled, never deleted, so every name
the ledger ever recorded stays resolvable). ``legacy`` marks the names the migration
found in existing ledgers: registered without roles, so they act only once granted.

``operator_roles``: the roles an operator holds now (grant inserts, revoke deletes; both
are audit events).

``batch_approvals``: one row per approval of a batch, append-only. Guarantees (both
engines, triggers in migrations/sql): never by the batch's maker (compared by name key),
at most one per operator and batch (unique), no UPDATE or DELETE; a batch moves to
'approved' only when its approvals meet the rule it was created with
(``batches.approvals_required``, ``approvals_other_department``).

``db_login`` (here and on every table that records an operator): on PostgreSQL the
``session_user`` that inserted the row, set by a trigger whatever the client sent; on
SQLite the OS login that ran the command, as the program reports it.
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, metadata

ROLES = ("civil_affairs", "finance_maker", "finance_checker", "auditor", "admin")

operators = sa.Table(
    "operators",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("name_key", sa.String(63), nullable=False, unique=True),
    sa.Column("full_name", sa.String(64), nullable=False),
    sa.Column("department", sa.String(8)),
    sa.Column("legacy", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("disabled_by", sa.String(64)),
    sa.Column("disabled_at", Timestamp),
    sa.Column("db_login", sa.String(64)),
    sa.CheckConstraint("department IN ('民政', '财政', '审计')", name="department"),
)

operator_roles = sa.Table(
    "operator_roles",
    metadata,
    sa.Column("operator_id", sa.BigInteger, sa.ForeignKey("operators.id"), primary_key=True),
    sa.Column("role", sa.String(24), primary_key=True),
    sa.Column("granted_by", sa.String(64), nullable=False),
    sa.Column("granted_at", Timestamp, nullable=False),
    sa.CheckConstraint(
        "role IN ('civil_affairs', 'finance_maker', 'finance_checker', 'auditor', 'admin')",
        name="role",
    ),
)

batch_approvals = sa.Table(
    "batch_approvals",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("operator", sa.String(64), nullable=False),
    sa.Column("operator_key", sa.String(63), nullable=False),
    sa.Column("department", sa.String(8)),
    sa.Column("approved_at", Timestamp, nullable=False),
    sa.Column("db_login", sa.String(64)),
    sa.UniqueConstraint("batch_id", "operator_key"),
)
