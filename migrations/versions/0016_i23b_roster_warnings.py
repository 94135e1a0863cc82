"""Every warning of a roster import, stored (issue 23): ``roster_import_warnings``.

The import printed the first 1,000 warnings and stored only their count; now each one
is a row (import, place, file row, column, message), written with the import by COPY /
executemany and never changed (append-only triggers).

Revision ID: 0016_i23b_roster_warnings
Revises: 0016_i19_fund_lineage
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0016_i23b_roster_warnings"
down_revision = "0016_i19_fund_lineage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_import_warnings",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.String(length=128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["roster_imports.id"],
            name=op.f("fk_roster_import_warnings_import_id_roster_imports"),
        ),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_roster_import_warnings")),
    )
    run_sql_file("0016_roster_warnings.sql")


def downgrade() -> None:
    op.drop_table("roster_import_warnings")
