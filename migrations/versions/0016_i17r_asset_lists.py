"""Asset lists for audits (房子、车子、票子): vehicles, property, business registrations and
provident fund; the staff list's category (人员类别); their hold reasons (issue 17).

``refdata_imports.kind`` and ``instruction_holds.reason`` gain the new values. On
PostgreSQL each check constraint is dropped and added again; on SQLite the stored table
definition is edited in place as 0015_i17_holds does (the constraints only widen, so the
existing rows stay valid).

Revision ID: 0016_i17r_asset_lists
Revises: 0013_i22_web_credentials
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_i17r_asset_lists"
down_revision = "0013_i22_web_credentials"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

OLD_KINDS = "kind IN ('deaths', 'staff', 'cadres')"
NEW_KINDS = (
    "kind IN ('deaths', 'staff', 'cadres', 'vehicles', 'property', 'business', 'provident_fund')"
)
_REASONS = (
    "'deceased', 'public_employee', 'cadre_relative', 'exclusive_program', "
    "'duplicate_id', 'shared_account', 'account_closed', 'name_unencodable', "
    "'above_standard'"
)
OLD_REASONS = f"reason IN ({_REASONS})"
NEW_REASONS = f"reason IN ({_REASONS}, 'vehicle', 'property', 'business', 'provident_fund')"
ASSET_KINDS = ("vehicles", "property", "business", "provident_fund")
ASSET_REASONS = ("vehicle", "property", "business", "provident_fund")


def _asset_columns() -> dict[str, tuple[sa.Column[object], ...]]:
    """The asset lists: table -> its own columns (between the owner's name and status)."""
    return {
        "ref_vehicles": (
            sa.Column("plate", sa.String(length=16), nullable=False),
            sa.Column("vehicle_type", sa.String(length=32), nullable=True),
            sa.Column("value_fen", sa.BigInteger(), nullable=True),
            sa.Column("registered_on", sa.Date(), nullable=True),
        ),
        "ref_property": (
            sa.Column("certificate_no", sa.String(length=64), nullable=False),
            sa.Column("location", sa.String(length=255), nullable=True),
            sa.Column("usage", sa.String(length=32), nullable=True),
            sa.Column("area_dm2", sa.BigInteger(), nullable=False),
            sa.Column("registered_on", sa.Date(), nullable=True),
        ),
        "ref_businesses": (
            sa.Column("credit_code", sa.String(length=18), nullable=False),
            sa.Column("company", sa.String(length=255), nullable=False),
            sa.Column("role", sa.String(length=32), nullable=True),
            sa.Column("entity_type", sa.String(length=64), nullable=True),
            sa.Column("capital_fen", sa.BigInteger(), nullable=True),
            sa.Column("established_on", sa.Date(), nullable=True),
        ),
        "ref_provident_fund": (
            sa.Column("employer", sa.String(length=255), nullable=False),
            sa.Column("monthly_deposit_fen", sa.BigInteger(), nullable=False),
            sa.Column("paid_to", sa.String(length=7), nullable=True),
        ),
    }


def _sqlite_replace_check(table: str, old: str, new: str) -> None:
    connection = op.get_bind()
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError(f"{table}: expected the check {old!r} once in {sql!r}")
    version = int(connection.exec_driver_sql("PRAGMA schema_version").scalar_one())
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (sql.replace(old, new), table),
    )
    connection.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema = OFF")


def _set_check(table: str, name: str, old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_replace_check(table, old, new)
    else:
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, new)


def upgrade() -> None:
    _set_check("refdata_imports", "kind", OLD_KINDS, NEW_KINDS)
    _set_check("instruction_holds", "reason", OLD_REASONS, NEW_REASONS)
    op.add_column("ref_staff", sa.Column("category", sa.String(length=32), nullable=True))
    for table, columns in _asset_columns().items():
        op.create_table(
            table,
            sa.Column("id", BigId, nullable=False),
            sa.Column("import_id", sa.BigInteger(), nullable=False),
            sa.Column("row_no", sa.Integer(), nullable=False),
            sa.Column("id_number", sa.String(length=18), nullable=False),
            sa.Column("name", sa.String(length=64), nullable=True),
            *columns,
            sa.Column("status", sa.String(length=16), nullable=True),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.ForeignKeyConstraint(
                ["import_id"],
                ["refdata_imports.id"],
                name=op.f(f"fk_{table}_import_id_refdata_imports"),
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_id_number"), table, ["id_number"])
        op.create_index(op.f(f"ix_{table}_import_id"), table, ["import_id"])


def downgrade() -> None:
    connection = op.get_bind()
    reasons = ", ".join(f"'{r}'" for r in ASSET_REASONS)
    held = connection.exec_driver_sql(
        f"SELECT COUNT(*) FROM instruction_holds WHERE reason IN ({reasons})"
    ).scalar_one()
    if held:
        raise RuntimeError(
            f"cannot downgrade: {held} hold(s) name an asset list (holds are never deleted)"
        )
    for table in _asset_columns():
        op.drop_index(op.f(f"ix_{table}_import_id"), table_name=table)
        op.drop_index(op.f(f"ix_{table}_id_number"), table_name=table)
        op.drop_table(table)
    kinds = ", ".join(f"'{k}'" for k in ASSET_KINDS)
    op.execute(f"DELETE FROM refdata_imports WHERE kind IN ({kinds})")
    op.drop_column("ref_staff", "category")
    _set_check("instruction_holds", "reason", NEW_REASONS, OLD_REASONS)
    _set_check("refdata_imports", "kind", NEW_KINDS, OLD_KINDS)
