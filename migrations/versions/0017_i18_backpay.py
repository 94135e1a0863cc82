"""补发 back pay: entitlements of kind ``backpay`` (one live per recipient, program and
month) (issue 18). Widening only; on SQLite the CHECK is edited in place as in
0016_i18_oneoff.

Revision ID: 0017_i18_backpay
Revises: 0016_i18_oneoff
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_i18_backpay"
down_revision = "0016_i18_oneoff"
branch_labels = None
depends_on = None

OLD = "kind IN ('regular', 'oneoff')"
NEW = "kind IN ('regular', 'oneoff', 'backpay')"
WHERE = "kind = 'backpay' AND status <> 'voided'"


def _set_kind(old: str, new: str) -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_entitlements_kind"), "entitlements", type_="check")
        op.create_check_constraint(op.f("ck_entitlements_kind"), "entitlements", new)
        return
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'entitlements'"
    ).scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError(f"entitlements: expected {old!r} once in {sql!r}")
    version = int(connection.exec_driver_sql("PRAGMA schema_version").scalar_one())
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'entitlements'",
        (sql.replace(old, new),),
    )
    connection.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _set_kind(OLD, NEW)
    op.create_index(
        "uq_entitlements_live_backpay",
        "entitlements",
        ["recipient_id", "program", "period"],
        unique=True,
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("uq_entitlements_live_backpay", table_name="entitlements")
    op.execute("UPDATE entitlements SET status = 'voided' WHERE kind = 'backpay'")
    _set_kind(NEW, OLD)
