"""临时救助 one-off assistance cases (issue 18, docs/oneoff.md).

``oneoff_cases``: one decision to pay a household once (急难 or 支出型), with its
applicant, amount, township and village, the account it is paid to and the documents
(by number) it rests on.
  Never changes after insert: everything but ``status``, ``approved_by``/``approved_at``.
  May change once: ``status`` pending -> approved (its approvals met ``approvals_required``
  and ``approvals_other_department``, fixed when the case was added: the county's
  ``[[approval.bands]]`` rule for its amount, or the band above when it is over a cap).
  Paid: by the entitlement that names it (``entitlements.case_id``); at most one live
  entitlement per case (unique partial index), so a case is paid once.

``oneoff_approvals``: one row per checker's approval of a case, append-only (triggers);
at most one per checker and case; never by the case's maker.
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, metadata

CATEGORIES = ("emergency", "expenditure")  # 急难型, 支出型
CASE_STATUSES = ("pending", "approved")

oneoff_cases = sa.Table(
    "oneoff_cases",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("recipients.id"), nullable=False),
    sa.Column("household_id", sa.String(64), nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("township", sa.String(32), nullable=False),
    sa.Column("village", sa.String(32), nullable=False),
    sa.Column("bank", sa.String(32), nullable=False),
    sa.Column("account_number", sa.String(40), nullable=False),
    sa.Column("account_holder", sa.String(64), nullable=False),
    # Document numbers (文号), separated by "; ".
    sa.Column("documents", sa.Text, nullable=False),
    # The day the case was decided on; its year is the one the household cap counts.
    sa.Column("case_date", sa.Date, nullable=False),
    # True: above a cap, added under the approval band above the amount's own.
    sa.Column("over_cap", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("approvals_required", sa.Integer, nullable=False),
    sa.Column("approvals_other_department", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_by_key", sa.String(63), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("approved_by", sa.String(64)),
    sa.Column("approved_at", Timestamp),
    sa.CheckConstraint("category IN ('emergency', 'expenditure')", name="category"),
    sa.CheckConstraint("status IN ('pending', 'approved')", name="status"),
    sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    sa.CheckConstraint("approvals_required > 0", name="approvals_positive"),
    sa.Index(None, "household_id"),
    sa.Index(None, "recipient_id"),
)

oneoff_approvals = sa.Table(
    "oneoff_approvals",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("case_id", sa.BigInteger, sa.ForeignKey("oneoff_cases.id"), nullable=False),
    sa.Column("operator", sa.String(64), nullable=False),
    sa.Column("operator_key", sa.String(63), nullable=False),
    sa.Column("department", sa.String(8)),
    sa.Column("approved_at", Timestamp, nullable=False),
    sa.UniqueConstraint("case_id", "operator_key"),
)
