"""临时救助 one-off cases: ``oneoff_cases``, ``oneoff_approvals``; entitlements of kind
``oneoff`` name their case (``case_id``) instead of an enrolment; batches of kind
``oneoff`` (issue 18).

Widening only: ``entitlements.kind`` and ``batches.kind`` gain ``oneoff`` and
``entitlements.enrolment_id`` may be NULL. On SQLite a CHECK or NOT NULL cannot be
altered and a rebuild would drop tables postings and instructions reference, so the
stored definitions are edited in place, as 0015_i17_holds does (removing a NOT NULL and
widening a CHECK leave every stored row valid).

Revision ID: 0016_i18_oneoff
Revises: 0017_i23b_finding_write_offs
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0016_i18_oneoff"
down_revision = "0017_i23b_finding_write_offs"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

ENTITLEMENT_KIND = ("kind IN ('regular')", "kind IN ('regular', 'oneoff')")
BATCH_KIND = (
    "kind IN ('regular', 'supplementary')",
    "kind IN ('regular', 'supplementary', 'oneoff')",
)
ENROLMENT = ("enrolment_id BIGINT NOT NULL", "enrolment_id BIGINT")


def _sqlite_edit(table: str, *changes: tuple[str, str]) -> None:
    connection = op.get_bind()
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    for old, new in changes:
        if sql.count(new) == 1 and sql.count(old) == 0:
            continue  # already so: upgraded again after a downgrade that kept it (below)
        if sql.count(old) != 1:
            raise RuntimeError(f"{table}: expected {old!r} once in {sql!r}")
        sql = sql.replace(old, new)
    version = int(connection.exec_driver_sql("PRAGMA schema_version").scalar_one())
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table)
    )
    connection.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema = OFF")


def _widen(reverse: bool = False) -> None:
    def pick(pair: tuple[str, str]) -> tuple[str, str]:
        return (pair[1], pair[0]) if reverse else pair

    if op.get_bind().dialect.name == "sqlite":
        _sqlite_edit("entitlements", pick(ENTITLEMENT_KIND), pick(ENROLMENT))
        _sqlite_edit("batches", pick(BATCH_KIND))
        return
    for table, pair in (("entitlements", ENTITLEMENT_KIND), ("batches", BATCH_KIND)):
        op.drop_constraint(op.f(f"ck_{table}_kind"), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_kind"), table, pick(pair)[1])
    op.alter_column(
        "entitlements", "enrolment_id", existing_type=sa.BigInteger(), nullable=not reverse
    )


def upgrade() -> None:
    op.create_table(
        "oneoff_cases",
        sa.Column("id", BigId, nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("township", sa.String(length=32), nullable=False),
        sa.Column("village", sa.String(length=32), nullable=False),
        sa.Column("bank", sa.String(length=32), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("account_holder", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("case_date", sa.Date(), nullable=False),
        sa.Column("over_cap", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False),
        sa.Column("approvals_other_department", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_by_key", sa.String(length=63), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", Timestamp, nullable=True),
        sa.CheckConstraint(
            "category IN ('emergency', 'expenditure')", name=op.f("ck_oneoff_cases_category")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved')", name=op.f("ck_oneoff_cases_status")
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_oneoff_cases_amount_positive")),
        sa.CheckConstraint(
            "approvals_required > 0", name=op.f("ck_oneoff_cases_approvals_positive")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_oneoff_cases_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oneoff_cases")),
    )
    op.create_index(op.f("ix_oneoff_cases_household_id"), "oneoff_cases", ["household_id"])
    op.create_index(op.f("ix_oneoff_cases_recipient_id"), "oneoff_cases", ["recipient_id"])
    op.create_table(
        "oneoff_approvals",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("operator_key", sa.String(length=63), nullable=False),
        sa.Column("department", sa.String(length=8), nullable=True),
        sa.Column("approved_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["oneoff_cases.id"], name=op.f("fk_oneoff_approvals_case_id_oneoff_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oneoff_approvals")),
        sa.UniqueConstraint(
            "case_id", "operator_key", name=op.f("uq_oneoff_approvals_case_id_operator_key")
        ),
    )
    _widen()
    connection = op.get_bind()
    kept = connection.dialect.name == "sqlite" and any(
        row[1] == "case_id"
        for row in connection.exec_driver_sql("PRAGMA table_info(entitlements)").all()
    )  # a downgrade on SQLite keeps the column (see downgrade)
    if kept:
        pass
    elif connection.dialect.name == "sqlite":  # alembic cannot ALTER a constraint there
        op.execute(
            "ALTER TABLE entitlements ADD COLUMN case_id BIGINT CONSTRAINT"
            " fk_entitlements_case_id_oneoff_cases REFERENCES oneoff_cases (id)"
        )
    else:
        op.add_column("entitlements", sa.Column("case_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            op.f("fk_entitlements_case_id_oneoff_cases"),
            "entitlements",
            "oneoff_cases",
            ["case_id"],
            ["id"],
        )
    op.create_index(
        "uq_entitlements_live_case",
        "entitlements",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("case_id IS NOT NULL AND status <> 'voided'"),
        postgresql_where=sa.text("case_id IS NOT NULL AND status <> 'voided'"),
    )
    run_sql_file("0016_oneoff.sql")


def downgrade() -> None:
    """One-off cases go; their entitlements stay, voided, for the journal's postings
    that name their instructions. On SQLite ``entitlements.case_id`` stays (NULL): a
    column a foreign key names cannot be dropped without rebuilding the table."""
    op.execute("UPDATE entitlements SET status = 'voided' WHERE kind = 'oneoff'")
    op.drop_index("uq_entitlements_live_case", table_name="entitlements")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS oneoff_approvals_no_update")
        op.execute("DROP TRIGGER IF EXISTS oneoff_approvals_no_delete")
        op.execute("UPDATE entitlements SET case_id = NULL")
    else:
        op.drop_constraint(
            op.f("fk_entitlements_case_id_oneoff_cases"), "entitlements", type_="foreignkey"
        )
        op.drop_column("entitlements", "case_id")
    op.drop_table("oneoff_approvals")
    op.drop_index(op.f("ix_oneoff_cases_recipient_id"), table_name="oneoff_cases")
    op.drop_index(op.f("ix_oneoff_cases_household_id"), table_name="oneoff_cases")
    op.drop_table("oneoff_cases")
