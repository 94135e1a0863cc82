"""The journal's tables: accounts, periods, transactions, postings, audit events."""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, metadata

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("balance_rule", sa.String(16), nullable=False),
    sa.Column("program", sa.String(32)),
    sa.Column("source", sa.String(32)),
    sa.Column("bank", sa.String(32)),
    sa.Column("recipient", sa.String(32)),
    sa.Column("township", sa.String(32)),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.CheckConstraint(
        "kind IN ('Assets', 'Liabilities', 'Income', 'Expenses', 'Equity')", name="kind"
    ),
    sa.CheckConstraint("balance_rule IN ('any', 'debit_only', 'credit_only')", name="balance_rule"),
    # A recipient's accounts (payables, recovery receivable) for their history.
    sa.Index(None, "recipient"),
)

periods = sa.Table(
    "periods",
    metadata,
    sa.Column("period", sa.String(7), primary_key=True),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("closed_at", Timestamp),
    sa.Column("closed_by", sa.String(64)),
    sa.CheckConstraint("status IN ('open', 'closed')", name="status"),
)

transactions = sa.Table(
    "transactions",
    metadata,
    # Assigned by the journal (previous id + 1) under the journal's write lock, so that
    # id order is chain order.
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("effective_date", sa.Date, nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("operator", sa.String(64), nullable=False),
    sa.Column("idempotency_key", sa.String(200), unique=True),
    sa.Column("reverses_id", sa.BigInteger, sa.ForeignKey("transactions.id"), unique=True),
    sa.Column("recorded_at", Timestamp, nullable=False),
    sa.Column("posting_count", sa.Integer, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    # Not in the hash: who was logged in (see ledger.db.schema.operators).
    sa.Column("db_login", sa.String(64)),
    sa.CheckConstraint("posting_count > 0", name="posting_count"),
    sa.Index(None, "effective_date"),
    sa.Index(None, "type"),
)

postings = sa.Table(
    "postings",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    # Deferred: postings are written before their transaction's header, whose insert
    # trigger then checks that they balance (see migrations/sql).
    sa.Column(
        "transaction_id",
        sa.BigInteger,
        sa.ForeignKey("transactions.id", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
    sa.Column("account_id", sa.BigInteger, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    # The payment instruction a posting concerns, if any (see the batches schema).
    sa.Column("instruction_id", sa.BigInteger),
    sa.CheckConstraint("amount_fen <> 0", name="amount_nonzero"),
    # Leads with transaction_id (the balance checks); with account_id it also answers
    # "did this transaction move that account" without reading the whole transaction.
    sa.Index(None, "transaction_id", "account_id"),
    sa.Index(None, "account_id"),
    sa.Index(None, "instruction_id"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("operator", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject_type", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("db_login", sa.String(64)),
    # The chain (ledger.db.events, ledger.event_chain): the journal's head when the event
    # was written, the digests of the scopes it touched (JSON, "" for none), the hash of
    # the event before and its own. Not in the hash: db_login, as for transactions.
    # Nullable only for the database's sake: the insert trigger refuses an event without
    # its hash (migrations/sql/*/0017_event_chain.sql).
    sa.Column("journal_transaction_id", sa.BigInteger),
    sa.Column("journal_hash", sa.String(64)),
    sa.Column("state", sa.Text),
    sa.Column("prev_hash", sa.String(64)),
    sa.Column("hash", sa.String(64)),
    sa.Index(None, "subject_type", "subject_id"),
)
