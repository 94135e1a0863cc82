"""A held payment is paid only after a recorded release (issue 17, insider access).

Without it an UPDATE of ``payment_instructions.status`` from ``held`` to ``pending`` put
a screened payment into the bank file with no decision on record. The trigger allows
``held`` -> ``pending`` only when ``hold_releases`` holds the instruction, and
``held`` -> ``voided`` (its batch voided).

Revision ID: 0018_held_release
Revises: 0017_i18_backpay
Create Date: 2026-12-03
"""

from alembic import op

from ledger.migrations.sql import run_sql_file

revision = "0018_held_release"
down_revision = "0017_i18_backpay"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0018_held_release.sql")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP TRIGGER IF EXISTS payment_instructions_held_needs_release ON payment_instructions"
        )
        op.execute("DROP FUNCTION IF EXISTS ledger_held_needs_release()")
    else:
        op.execute("DROP TRIGGER IF EXISTS payment_instructions_held_needs_release")
