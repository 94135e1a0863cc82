"""The web console's sign-in records: one salted password hash per operator, with the
count of failed sign-ins and the time a lock-out ends (ledger.db.schema.web).

Revision ID: 0013_i22_web_credentials
Revises: 0013_i21_findings_source
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_i22_web_credentials"
down_revision = "0013_i21_findings_source"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_credentials",
        sa.Column("operator_id", sa.BigInteger, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "failed_count >= 0", name=op.f("ck_web_credentials_failed_count_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_web_credentials_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_web_credentials")),
    )


def downgrade() -> None:
    op.drop_table("web_credentials")
