"""分类施保 categories and 扣减 deductions (issue 18, docs/supplements.md).

``category_imports``: one file of recipients' categories (分类施保对象名单) imported; the
newest import is the current list (each file is the whole list). Never changes.

``recipient_categories``: the categories one import names, one row per recipient,
program and category. Never changes. At ``batch run`` a staged enrolment whose recipient
and program the current list names with a category of a county supplement
(county.toml ``[[supplements]]``) gets that supplement as its own entitlement
(``entitlements.kind = 'supplement'``, ``entitlements.supplement`` = its code).

``deduction_plans``: a decision to recover an overpayment (the recipient's recovery
receivable, ``Assets:Receivable:Recovery:{r}``) by deducting from future payments of a
program; ``per_month_fen`` the instalment asked for (NULL: the county's ceiling).
Never changes; what is left is ``amount_fen`` less its live deductions.

``deductions``: one deduction taken from one entitlement (the regular payment of a
month) at ``batch run``: the instruction pays the entitlement less it. Never changes;
live while its entitlement is not voided; posted (Dr Payable / Cr Receivable) when its
entitlement is accrued (docs/ledger.md, "扣减 deductions").
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, imported_file, metadata

category_imports = sa.Table(
    "category_imports",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    *imported_file(),
)

recipient_categories = sa.Table(
    "recipient_categories",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("import_id", sa.BigInteger, sa.ForeignKey("category_imports.id"), nullable=False),
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("recipients.id"), nullable=False),
    sa.Column("program", sa.String(32), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.UniqueConstraint("import_id", "recipient_id", "program", "category"),
)

deduction_plans = sa.Table(
    "deduction_plans",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("recipients.id"), nullable=False),
    sa.Column("program", sa.String(32), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("per_month_fen", sa.BigInteger),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    sa.CheckConstraint("per_month_fen IS NULL OR per_month_fen > 0", name="per_month_positive"),
    sa.Index(None, "recipient_id", "program"),
)

deductions = sa.Table(
    "deductions",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("plan_id", sa.BigInteger, sa.ForeignKey("deduction_plans.id"), nullable=False),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column(
        "entitlement_id",
        sa.BigInteger,
        sa.ForeignKey("entitlements.id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    sa.Index(None, "batch_id"),
    sa.Index(None, "plan_id"),
)
