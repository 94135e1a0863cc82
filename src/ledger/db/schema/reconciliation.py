"""Bank return files and what each line did (DESIGN §5).

``return_files``: one imported return file (pain.002, camt.053/054, pacs.004, or a bank
profile's CSV/fixed-width return).
  Never changes after insert: everything. ``file_sha256`` is unique: the same file
  imported twice is recognised and changes nothing.

``instruction_outcomes``: what one line of a return file said about one instruction.
  Never changes after insert. ``outcome`` is settled, failed, pending or returned (a
  payment returned after it had settled: pacs.004, camt return entries);
  ``transaction_id`` is the ledger transaction that posted it (none for pending).
  An instruction's current status lives on ``payment_instructions``; this table is its
  history, for auditors.

``reconciliation_exceptions``: a line that was posted nowhere because it contradicts
the ledger: it matches no instruction (``unmatched``), confirms an instruction already
settled (``duplicate_confirmation``), names another amount (``amount_mismatch``) or
account (``account_mismatch``) than the instruction, concerns a batch that was never
exported (``batch_not_exported``), or the file's control totals contradict its lines
(``control_total``). Never changes after insert; the findings rules read it.
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, metadata

OUTCOMES = ("settled", "failed", "pending", "returned")
EXCEPTION_KINDS = (
    "unmatched",
    "duplicate_confirmation",
    "amount_mismatch",
    "account_mismatch",
    "batch_not_exported",
    "control_total",
)

return_files = sa.Table(
    "return_files",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False, unique=True),
    # pain.002, camt.053, camt.054, pacs.004, or a bank profile name.
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("line_count", sa.Integer, nullable=False),
    sa.Column("settled_count", sa.Integer, nullable=False),
    sa.Column("failed_count", sa.Integer, nullable=False),
    sa.Column("pending_count", sa.Integer, nullable=False),
    sa.Column("exception_count", sa.Integer, nullable=False),
    sa.Column("imported_by", sa.String(64), nullable=False),
    sa.Column("imported_at", Timestamp, nullable=False),
    # AppHdr/BizMsgIdr when the bank sent the Document in an envelope (audit trail).
    sa.Column("header_message_id", sa.String(35)),
    sa.Column("db_login", sa.String(64)),
)

instruction_outcomes = sa.Table(
    "instruction_outcomes",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "instruction_id",
        sa.BigInteger,
        sa.ForeignKey("payment_instructions.id"),
        nullable=False,
    ),
    sa.Column("return_file_id", sa.BigInteger, sa.ForeignKey("return_files.id"), nullable=False),
    # Line in the file (text formats) or of the element (XML), and the element's path.
    sa.Column("line", sa.Integer),
    sa.Column("element", sa.String(128)),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("reason_code", sa.String(8)),
    sa.Column("reason_text", sa.Text),
    sa.Column("amount_fen", sa.BigInteger),
    sa.Column("transaction_id", sa.BigInteger, sa.ForeignKey("transactions.id")),
    sa.Column("recorded_at", Timestamp, nullable=False),
    # The bank's booking date of the line (camt BookgDt), when it states one.
    sa.Column("booking_date", sa.Date),
    sa.CheckConstraint("outcome IN ('settled', 'failed', 'pending', 'returned')", name="outcome"),
    sa.Index(None, "instruction_id"),
    sa.Index(None, "return_file_id"),
)

reconciliation_exceptions = sa.Table(
    "reconciliation_exceptions",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("return_file_id", sa.BigInteger, sa.ForeignKey("return_files.id"), nullable=False),
    sa.Column("line", sa.Integer),
    sa.Column("element", sa.String(128)),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("end_to_end_id", sa.String(35)),
    sa.Column("instruction_id", sa.BigInteger, sa.ForeignKey("payment_instructions.id")),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id")),
    sa.Column("account_number", sa.String(40)),
    sa.Column("holder_name", sa.String(64)),
    sa.Column("amount_fen", sa.BigInteger),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.CheckConstraint(
        "kind IN ('unmatched', 'duplicate_confirmation', 'amount_mismatch', "
        "'account_mismatch', 'batch_not_exported', 'control_total')",
        name="kind",
    ),
    sa.Index(None, "return_file_id"),
    sa.Index(None, "instruction_id"),
    sa.Index(None, "kind"),
)
