"""Indexes for auditors' per-recipient history (``ledger audit history``).

- ``accounts(recipient)``: a recipient's payable and recovery accounts by key.
- ``entitlements(recipient_id)``: every entitlement of a person (the unique index over
  live regular entitlements is partial, so it cannot find voided ones).
- ``postings(transaction_id, account_id)`` replaces ``postings(transaction_id)``: the same
  leading column for the journal's balance checks, plus a direct probe for "did this
  transaction move that account" (a payable debit is a payment when its transaction
  credits a BankClearing account), without reading a 10^6-posting accrual.

Revision ID: 0007_audit_indexes
Revises: 0006_findings
Create Date: 2026-11-29
"""

from alembic import op

revision = "0007_audit_indexes"
down_revision = "0006_findings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_accounts_recipient"), "accounts", ["recipient"])
    op.create_index(op.f("ix_entitlements_recipient_id"), "entitlements", ["recipient_id"])
    op.create_index(
        op.f("ix_postings_transaction_id_account_id"),
        "postings",
        ["transaction_id", "account_id"],
    )
    op.drop_index(op.f("ix_postings_transaction_id"), table_name="postings")


def downgrade() -> None:
    op.create_index(op.f("ix_postings_transaction_id"), "postings", ["transaction_id"])
    op.drop_index(op.f("ix_postings_transaction_id_account_id"), table_name="postings")
    op.drop_index(op.f("ix_entitlements_recipient_id"), table_name="entitlements")
    op.drop_index(op.f("ix_accounts_recipient"), table_name="accounts")
