"""Operators, roles, batch approvals; the login recorded beside every operator.

Existing ledgers keep their history as written: every distinct operator name found in
it is registered as a *legacy* operator (no roles, no department), so each historical
name resolves to a record and nobody can act under it until an administrator grants a
role (``ledger operators grant``). Historical approvals are copied into
``batch_approvals`` before the guards are installed. Dialect triggers:
``migrations/sql/{sqlite,postgresql}/0012_operators.sql``.

Revision ID: 0012_i15_operators
Revises: 0010_i24_returns
Create Date: 2026-12-02
"""

import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0012_i15_operators"
down_revision = "0010_i24_returns"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

# Tables that record an operator: each gains the login that wrote the row.
LOGIN_TABLES = (
    "transactions",
    "audit_events",
    "finding_events",
    "roster_imports",
    "refdata_imports",
    "return_files",
    "batches",
)
# (table, column) holding operator names in existing ledgers.
OPERATOR_COLUMNS = (
    ("transactions", "operator"),
    ("audit_events", "operator"),
    ("finding_events", "operator"),
    ("roster_imports", "operator"),
    ("refdata_imports", "operator"),
    ("return_files", "imported_by"),
    ("batches", "created_by"),
    ("batches", "approved_by"),
    ("batches", "exported_by"),
    ("batches", "voided_by"),
    ("periods", "closed_by"),
)


def _key(name: str) -> str:
    """ledger.operators.name_key, restated: a migration does not import the package."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).strip().casefold())


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=63), nullable=False),
        sa.Column("full_name", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=8), nullable=True),
        sa.Column("legacy", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("disabled_by", sa.String(length=64), nullable=True),
        sa.Column("disabled_at", Timestamp, nullable=True),
        sa.Column("db_login", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "department IN ('民政', '财政', '审计')", name=op.f("ck_operators_department")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("name_key", name=op.f("uq_operators_name_key")),
    )
    op.create_table(
        "operator_roles",
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("granted_at", Timestamp, nullable=False),
        sa.CheckConstraint(
            "role IN ('civil_affairs', 'finance_maker', 'finance_checker', 'auditor', 'admin')",
            name=op.f("ck_operator_roles_role"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_operator_roles_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("operator_id", "role", name=op.f("pk_operator_roles")),
    )
    op.create_table(
        "batch_approvals",
        sa.Column("id", BigId, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("operator_key", sa.String(length=63), nullable=False),
        sa.Column("department", sa.String(length=8), nullable=True),
        sa.Column("approved_at", Timestamp, nullable=False),
        sa.Column("db_login", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_approvals_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_approvals")),
        sa.UniqueConstraint(
            "batch_id", "operator_key", name=op.f("uq_batch_approvals_batch_id_operator_key")
        ),
    )
    for table in LOGIN_TABLES:
        op.add_column(table, sa.Column("db_login", sa.String(length=64), nullable=True))
    op.add_column("batches", sa.Column("created_by_key", sa.String(length=63), nullable=True))
    op.add_column(
        "batches",
        sa.Column("approvals_required", sa.Integer(), server_default="1", nullable=False),
    )
    op.add_column(
        "batches",
        sa.Column(
            "approvals_other_department", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    _register_history()
    run_sql_file("0012_operators.sql")


def _register_history() -> None:
    """Legacy operators for every name the ledger recorded; the batches' maker keys and
    their past approvals."""
    bind = op.get_bind()
    names: list[str] = []
    for table, column in OPERATOR_COLUMNS:
        names += [
            row[0]
            for row in bind.execute(
                sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL")
            )
        ]
    now = datetime.now(UTC)
    first: dict[str, str] = {}
    for name in sorted(set(names)):
        first.setdefault(_key(name)[:63], name)
    if first:
        bind.execute(
            sa.text(
                "INSERT INTO operators (name, name_key, full_name, legacy, created_by, "
                "created_at) VALUES (:name, :key, :name, :legacy, 'migration 0012', :now)"
            ),
            [
                {"name": name[:64], "key": key, "legacy": True, "now": now}
                for key, name in sorted(first.items())
            ],
        )
    batches = list(
        bind.execute(sa.text("SELECT id, created_by, approved_by, approved_at FROM batches"))
    )
    for row in batches:
        bind.execute(
            sa.text("UPDATE batches SET created_by_key = :key WHERE id = :id"),
            {"key": _key(row.created_by)[:63], "id": row.id},
        )
    approved = [row for row in batches if row.approved_by is not None]
    if approved:
        bind.execute(
            sa.text(
                "INSERT INTO batch_approvals (batch_id, operator, operator_key, approved_at) "
                "VALUES (:batch, :operator, :key, :at)"
            ),
            [
                {
                    "batch": row.id,
                    "operator": row.approved_by,
                    "key": _key(row.approved_by)[:63],
                    "at": row.approved_at,
                }
                for row in approved
            ],
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_stamp_login() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS ledger_approval_guard() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS ledger_batch_approval_rule() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only_approvals() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS ledger_operators_guard() CASCADE")
    else:
        for trigger in (
            "batch_approvals_guard",
            "batch_approvals_no_update",
            "batch_approvals_no_delete",
            "batches_approval_rule",
            "batches_approval_fixed",
            "operators_no_delete",
            "operators_fixed",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for column in ("approvals_other_department", "approvals_required", "created_by_key"):
        op.drop_column("batches", column)
    for table in LOGIN_TABLES:
        op.drop_column(table, "db_login")
    op.drop_table("batch_approvals")
    op.drop_table("operator_roles")
    op.drop_table("operators")
