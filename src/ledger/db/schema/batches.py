"""Payment batches: entitlements, batches and payment instructions (DESIGN §4).

These are workflow tables, not the journal: their ``state``/``status`` columns move
forward as a batch is approved, exported and reconciled, and every such change adds an
audit event. The money itself moves only in the journal, whose postings name the
instruction they concern (``postings.instruction_id``).

``entitlements``: what a recipient is owed for one program and one period.
  Never changes after insert: recipient, enrolment, program, period, kind, amount,
  township, village, batch_id (the batch that created and accrued it).
  May change: ``status`` open -> voided (its batch was voided before export; the period
  can then be run again) or open -> cancelled (reconciliation: not to be paid, e.g.
  deceased; the payable is then cancelled in the journal).
  Guarantee: at most one live (not voided) regular entitlement per recipient, program and
  period (unique partial index), so running the monthly job twice never pays twice.

``batches``: one set of instructions sent to one bank in one file.
  Never changes after insert: period, program, bank, kind, sequence, created_by/at,
  instruction_count, amount_fen_total.
  May change, once each, in lifecycle order: approved_by/at + accrual_transaction_id;
  exported_by/at + funding_transaction_id + profile + file_name + file_sha256 +
  pay_date; voided_by/at + void_reason + void_transaction_id. ``state`` moves
  draft -> approved -> exported -> partially_reconciled -> reconciled -> closed, or
  draft/approved -> voided (see ``ledger.batches.BatchState``).
  Guarantee: at most one live (not voided) regular batch per period, program and bank.

``payment_instructions``: one line of a bank file.
  Never changes after insert: batch, entitlement, attempt, recipient, township, village,
  amount, bank, account number and holder, ID number (snapshots taken when the batch
  was run, so the bank file can be rebuilt byte for byte), end_to_end_id, line_number,
  reissue_of.
  May change: ``status`` (``ledger.batches.InstructionStatus``) pending -> settled |
  failed | voided | held (screening at ``batch run``, see ``holds``); held -> pending
  (released) | voided; failed -> reissued | cancelled; with the outcome columns
  (settled_at, failed_at, cancelled_at, reason_code: an ISO 20022 status reason such
  as AC01, reason_text).
  Guarantees: end_to_end_id is unique, at most 35 characters, and deterministic
  (county code, period, entitlement id, attempt: see ``ledger.batches.end_to_end_id``);
  line numbers are unique within a batch.
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, metadata, partial_unique

BATCH_STATES = (
    "draft",
    "approved",
    "exported",
    "partially_reconciled",
    "reconciled",
    "closed",
    "voided",
)
INSTRUCTION_STATUSES = (
    "pending",
    "settled",
    "failed",
    "reissued",
    "cancelled",
    "voided",
    "held",
)

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("program", sa.String(32), nullable=False),
    sa.Column("bank", sa.String(32), nullable=False),
    # regular: the monthly run; supplementary: re-issues of failed instructions.
    sa.Column("kind", sa.String(16), nullable=False),
    # Regular: 0 (1, 2... for runs after voided batches); supplementary: 1, 2...
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("instruction_count", sa.Integer, nullable=False),
    sa.Column("amount_fen_total", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    # The maker's name key (ledger.operators.name_key): what approvals are compared with.
    sa.Column("created_by_key", sa.String(63)),
    # The approval rule (county.toml [approval]) the batch was created under.
    sa.Column("approvals_required", sa.Integer, nullable=False, server_default="1"),
    sa.Column("approvals_other_department", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("db_login", sa.String(64)),
    sa.Column("approved_by", sa.String(64)),
    sa.Column("approved_at", Timestamp),
    sa.Column("accrual_transaction_id", sa.BigInteger, sa.ForeignKey("transactions.id")),
    sa.Column("exported_by", sa.String(64)),
    sa.Column("exported_at", Timestamp),
    sa.Column("funding_transaction_id", sa.BigInteger, sa.ForeignKey("transactions.id")),
    sa.Column("profile", sa.String(32)),
    sa.Column("file_name", sa.String(255)),
    sa.Column("file_sha256", sa.String(64)),
    # The requested execution date written into the bank file.
    sa.Column("pay_date", sa.Date),
    sa.Column("voided_by", sa.String(64)),
    sa.Column("voided_at", Timestamp),
    sa.Column("void_reason", sa.Text),
    sa.Column("void_transaction_id", sa.BigInteger, sa.ForeignKey("transactions.id")),
    sa.CheckConstraint("kind IN ('regular', 'supplementary', 'oneoff')", name="kind"),
    sa.CheckConstraint(
        "state IN ('draft', 'approved', 'exported', 'partially_reconciled', "
        "'reconciled', 'closed', 'voided')",
        name="state",
    ),
    sa.CheckConstraint("instruction_count > 0", name="instruction_count_positive"),
    sa.CheckConstraint("amount_fen_total > 0", name="amount_positive"),
    sa.UniqueConstraint("period", "program", "bank", "kind", "sequence"),
    sa.Index(None, "state"),
    sa.Index(None, "file_sha256"),
    # At most one live regular batch per period, program and bank.
    partial_unique(
        "uq_batches_live_regular",
        "period",
        "program",
        "bank",
        where="kind = 'regular' AND state <> 'voided'",
    ),
)


def _one_live(kind: str, *more: str) -> sa.Index:
    """At most one live (not voided) entitlement of ``kind`` per recipient, program and
    period (and the ``more`` columns): ``uq_entitlements_live_{kind}``."""
    return partial_unique(
        f"uq_entitlements_live_{kind}",
        "recipient_id",
        "program",
        "period",
        *more,
        where=f"kind = '{kind}' AND status <> 'voided'",
    )


entitlements = sa.Table(
    "entitlements",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("recipients.id"), nullable=False),
    # The enrolment it is owed under; NULL for a one-off case's entitlement (case_id).
    sa.Column("enrolment_id", sa.BigInteger, sa.ForeignKey("enrolments.id")),
    sa.Column("program", sa.String(32), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("township", sa.String(32), nullable=False),
    sa.Column("village", sa.String(32), nullable=False),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # The 临时救助 case it pays (kind 'oneoff'; ledger.db.schema.oneoff).
    sa.Column("case_id", sa.BigInteger, sa.ForeignKey("oneoff_cases.id")),
    # 分类施保: the county supplement's code (kind 'supplement'; county.toml [[supplements]]).
    sa.Column("supplement", sa.String(16)),
    sa.CheckConstraint("kind IN ('regular', 'oneoff', 'backpay', 'supplement')", name="kind"),
    sa.CheckConstraint("status IN ('open', 'voided', 'cancelled')", name="status"),
    sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    sa.Index(None, "batch_id"),
    sa.Index(None, "period", "program"),
    # Every entitlement of a person, voided ones too (audit history).
    sa.Index(None, "recipient_id"),
    _one_live("regular"),
    # 补发: at most one live back-pay entitlement per recipient, program and month.
    _one_live("backpay"),
    # 分类施保: at most one live supplement of a code per recipient, program and month.
    _one_live("supplement", "supplement"),
    # A one-off case is paid once: at most one live entitlement names it.
    partial_unique(
        "uq_entitlements_live_case", "case_id", where="case_id IS NOT NULL AND status <> 'voided'"
    ),
)

payment_instructions = sa.Table(
    "payment_instructions",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("entitlement_id", sa.BigInteger, sa.ForeignKey("entitlements.id"), nullable=False),
    # 1 for the first instruction of an entitlement, 2, 3... for its re-issues.
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("recipients.id"), nullable=False),
    sa.Column("township", sa.String(32), nullable=False),
    sa.Column("village", sa.String(32), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("bank", sa.String(32), nullable=False),
    sa.Column("account_number", sa.String(40), nullable=False),
    sa.Column("account_holder", sa.String(64), nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("end_to_end_id", sa.String(35), nullable=False, unique=True),
    # Position in the bank file (1-based), in township, village, recipient order.
    sa.Column("line_number", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reissue_of", sa.BigInteger, sa.ForeignKey("payment_instructions.id")),
    sa.Column("reason_code", sa.String(8)),
    sa.Column("reason_text", sa.Text),
    sa.Column("settled_at", Timestamp),
    sa.Column("failed_at", Timestamp),
    sa.Column("cancelled_at", Timestamp),
    sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    sa.CheckConstraint("attempt > 0", name="attempt_positive"),
    sa.CheckConstraint(
        "status IN ('pending', 'settled', 'failed', 'reissued', 'cancelled', 'voided', 'held')",
        name="status",
    ),
    sa.UniqueConstraint("batch_id", "line_number"),
    sa.UniqueConstraint("entitlement_id", "attempt"),
    sa.Index(None, "recipient_id"),
    # Only re-issues have reissue_of; a partial index keeps 10^6 NULLs out of it. Status
    # needs no index: instructions are reached by batch (unique batch_id, line_number)
    # or EndToEndId.
    sa.Index(
        "ix_payment_instructions_reissue_of",
        "reissue_of",
        sqlite_where=sa.text("reissue_of IS NOT NULL"),
        postgresql_where=sa.text("reissue_of IS NOT NULL"),
    ),
)
