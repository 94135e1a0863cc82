"""The recipient roster: people, their effective-dated enrolments, and the imports.

History is never overwritten. An enrolment row is one version of a person's enrolment in
a program; a later import that changes anything (amount, account, township, exit)
closes the current version (``valid_to`` = the import's id) and adds a new one. Only a
version's ``valid_to`` is ever set after insert; nothing is deleted.
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, imported_file, metadata

roster_imports = sa.Table(
    "roster_imports",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    *imported_file(),
    sa.Column("db_login", sa.String(64)),
)

recipients = sa.Table(
    "recipients",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    # The key used in account names (Liabilities:Payable:{program}:{key}); never the ID
    # number, so that account names carry no personal data.
    sa.Column("key", sa.String(16), nullable=False, unique=True),
    sa.Column("id_number", sa.String(18), nullable=False, unique=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("sex", sa.String(1)),
    sa.Column("birth_date", sa.Date),
    sa.Column("created_at", Timestamp, nullable=False),
)

enrolments = sa.Table(
    "enrolments",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("recipients.id"), nullable=False),
    sa.Column("program", sa.String(32), nullable=False),
    sa.Column("township", sa.String(32), nullable=False),
    sa.Column("village", sa.String(32), nullable=False),
    sa.Column("household_id", sa.String(64), nullable=False),
    sa.Column("household_size", sa.Integer, nullable=False),
    # 户主: the household head (roster column 是否户主); a household program
    # (county.toml pay_to = "household") pays the household to the head's card.
    sa.Column("household_head", sa.Boolean, nullable=False, server_default=sa.false()),
    # 供养机构: the care institution (county.toml [institutions.CODE]) a 集中供养
    # resident lives in; NULL for everyone else. ledger.institutions pays the residents'
    # entitlements to the institution's account, one instruction per institution.
    sa.Column("institution", sa.String(32)),
    # Monthly entitlement in fen.
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("bank", sa.String(32), nullable=False),
    sa.Column("account_number", sa.String(40), nullable=False),
    sa.Column("account_holder", sa.String(64), nullable=False),
    # First and last month paid, "YYYY-MM"; end_month NULL while open-ended.
    sa.Column("start_month", sa.String(7), nullable=False),
    sa.Column("end_month", sa.String(7)),
    sa.Column("exit_date", sa.Date),
    sa.Column("status", sa.String(16), nullable=False),
    # Version bounds: the import that created this version and the one that replaced it.
    sa.Column(
        "valid_from_import", sa.BigInteger, sa.ForeignKey("roster_imports.id"), nullable=False
    ),
    sa.Column("valid_to_import", sa.BigInteger, sa.ForeignKey("roster_imports.id")),
    sa.CheckConstraint("amount_fen >= 0", name="amount_nonnegative"),
    sa.CheckConstraint("household_size > 0", name="household_size_positive"),
    sa.CheckConstraint("status IN ('active', 'suspended', 'exited')", name="status"),
    sa.Index(None, "recipient_id", "program"),
    sa.Index(None, "program", "township"),
    # At most one current version per person and program.
    sa.Index(
        "uq_enrolments_current",
        "recipient_id",
        "program",
        unique=True,
        sqlite_where=sa.text("valid_to_import IS NULL"),
        postgresql_where=sa.text("valid_to_import IS NULL"),
    ),
    # The few 集中供养 residents, found at every batch run (ledger.institutions).
    sa.Index(
        "ix_enrolments_institution",
        "institution",
        sqlite_where=sa.text("institution IS NOT NULL"),
        postgresql_where=sa.text("institution IS NOT NULL"),
    ),
)
