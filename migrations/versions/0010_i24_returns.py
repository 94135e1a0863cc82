"""Keep what bank returns say that the audit trail needs: the bank's booking date of each
outcome (``instruction_outcomes.booking_date``, camt BookgDt) and the Business
Application Header's message id of a file that came in an envelope
(``return_files.header_message_id``, AppHdr/BizMsgIdr).

Both columns are nullable and added in place (ALTER TABLE ... ADD COLUMN on both
engines), so the tables keep their append-only triggers.

Revision ID: 0010_i24_returns
Revises: 0008_enrolment_account_index
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_i24_returns"
down_revision = "0008_enrolment_account_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("instruction_outcomes", sa.Column("booking_date", sa.Date(), nullable=True))
    op.add_column(
        "return_files", sa.Column("header_message_id", sa.String(length=35), nullable=True)
    )


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+, PostgreSQL): a batch table rebuild would lose
    # the append-only triggers.
    op.execute("ALTER TABLE return_files DROP COLUMN header_message_id")
    op.execute("ALTER TABLE instruction_outcomes DROP COLUMN booking_date")
