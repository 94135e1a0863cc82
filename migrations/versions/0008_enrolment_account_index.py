"""Drop ``enrolments(account_number)``: no query looks enrolments up by account.

The findings that follow accounts (one account for several households, staff accounts)
read the payment instructions, which hold the account each payment went to. Keeping the
index cost every roster import a random insert per new version: ~3.7 s of a 10^6-row
import on SQLite.

Revision ID: 0008_enrolment_account_index
Revises: 0007_audit_indexes
Create Date: 2026-11-28
"""

from alembic import op

revision = "0008_enrolment_account_index"
down_revision = "0007_audit_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_enrolments_account_number"), table_name="enrolments")


def downgrade() -> None:
    op.create_index(op.f("ix_enrolments_account_number"), "enrolments", ["account_number"])
