"""分类施保 supplements and 扣减 deductions (issue 18): entitlements of kind
``supplement`` naming their county supplement (``entitlements.supplement``, one live
per recipient, program, month and code); the categories lists (``category_imports``,
``recipient_categories``); deduction plans and the deductions taken at batch run
(``deduction_plans``, ``deductions``). All four tables are append-only (triggers), and
an entitlement's supplement code never changes.

Widening only: on SQLite the kind CHECK is edited in place as in 0017_i18_backpay.

Revision ID: 0019_i18_deductions
Revises: 0019_i18_households
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0019_i18_deductions"
down_revision = "0019_i18_households"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

OLD = "kind IN ('regular', 'oneoff', 'backpay')"
NEW = "kind IN ('regular', 'oneoff', 'backpay', 'supplement')"
WHERE = "kind = 'supplement' AND status <> 'voided'"
TABLES = ("deductions", "deduction_plans", "recipient_categories", "category_imports")


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
    op.create_table(
        "category_imports",
        sa.Column("id", BigId, nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("imported_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_imports")),
    )
    op.create_table(
        "recipient_categories",
        sa.Column("id", BigId, nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["category_imports.id"],
            name=op.f("fk_recipient_categories_import_id_category_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_recipient_categories_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_categories")),
        sa.UniqueConstraint(
            "import_id",
            "recipient_id",
            "program",
            "category",
            name=op.f("uq_recipient_categories_import_id_recipient_id_program_category"),
        ),
    )
    op.create_table(
        "deduction_plans",
        sa.Column("id", BigId, nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("per_month_fen", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_deduction_plans_amount_positive")),
        sa.CheckConstraint(
            "per_month_fen IS NULL OR per_month_fen > 0",
            name=op.f("ck_deduction_plans_per_month_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_deduction_plans_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deduction_plans")),
    )
    op.create_index(
        op.f("ix_deduction_plans_recipient_id_program"),
        "deduction_plans",
        ["recipient_id", "program"],
    )
    op.create_table(
        "deductions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("entitlement_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_deductions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_deductions_batch_id_batches")
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlements.id"],
            name=op.f("fk_deductions_entitlement_id_entitlements"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["deduction_plans.id"], name=op.f("fk_deductions_plan_id_deduction_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deductions")),
        sa.UniqueConstraint("entitlement_id", name=op.f("uq_deductions_entitlement_id")),
    )
    op.create_index(op.f("ix_deductions_batch_id"), "deductions", ["batch_id"])
    op.create_index(op.f("ix_deductions_plan_id"), "deductions", ["plan_id"])
    _set_kind(OLD, NEW)
    op.add_column("entitlements", sa.Column("supplement", sa.String(length=16), nullable=True))
    op.create_index(
        "uq_entitlements_live_supplement",
        "entitlements",
        ["recipient_id", "program", "period", "supplement"],
        unique=True,
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )
    run_sql_file("0019_deductions.sql")


def downgrade() -> None:
    """The four tables and the supplement column go. Only for a ledger without
    supplement entitlements: it is refused, with the count, when there are any (the
    narrower kind CHECK could not hold them)."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    found = bind.exec_driver_sql(
        "SELECT COUNT(*) FROM entitlements WHERE kind = 'supplement'"
    ).scalar_one()
    if found:
        raise RuntimeError(
            f"0019_i18_deductions cannot be downgraded: the ledger has {found} supplement "
            "entitlement(s) (分类施保), which the narrower kind of 0019_i18_households "
            "cannot hold and the journal never forgets; nothing was changed"
        )
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS entitlements_supplement_fixed ON entitlements")
    else:
        op.execute("DROP TRIGGER IF EXISTS entitlements_supplement_fixed")
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_index("uq_entitlements_live_supplement", table_name="entitlements")
    op.drop_column("entitlements", "supplement")
    _set_kind(NEW, OLD)
    op.drop_index(op.f("ix_deductions_plan_id"), table_name="deductions")
    op.drop_index(op.f("ix_deductions_batch_id"), table_name="deductions")
    op.drop_table("deductions")
    op.drop_index(op.f("ix_deduction_plans_recipient_id_program"), table_name="deduction_plans")
    op.drop_table("deduction_plans")
    op.drop_table("recipient_categories")
    op.drop_table("category_imports")
