"""Reference lists the audit rules match against: deaths, staff, cadres and relatives.

Each file imported is one ``refdata_imports`` row; its rows keep the import id, so every
list can be read as it stood after any import. Rows are written once and never changed.
Which rows are current: the death registry is cumulative (every import counts), the staff
and cadre rosters are snapshots (the latest import of the kind replaces the earlier ones).
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, Timestamp, metadata

refdata_imports = sa.Table(
    "refdata_imports",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("operator", sa.String(64), nullable=False),
    sa.Column("imported_at", Timestamp, nullable=False),
    sa.Column("db_login", sa.String(64)),
    sa.CheckConstraint("kind IN ('deaths', 'staff', 'cadres')", name="kind"),
)

ref_deaths = sa.Table(
    "ref_deaths",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("import_id", sa.BigInteger, sa.ForeignKey("refdata_imports.id"), nullable=False),
    sa.Column("row_no", sa.Integer, nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("name", sa.String(64)),
    sa.Column("death_date", sa.Date, nullable=False),
    # Who reported the death (公安户籍, 卫健, 殡葬...).
    sa.Column("source", sa.String(64), nullable=False),
    sa.Index(None, "id_number"),
    sa.Index(None, "import_id"),
)

ref_staff = sa.Table(
    "ref_staff",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("import_id", sa.BigInteger, sa.ForeignKey("refdata_imports.id"), nullable=False),
    sa.Column("row_no", sa.Integer, nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("employer", sa.String(128), nullable=False),
    sa.Index(None, "id_number"),
    sa.Index(None, "import_id"),
)

# A staff member's salary accounts, one row per account (a payee account that belongs to
# staff is a finding).
ref_staff_accounts = sa.Table(
    "ref_staff_accounts",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("import_id", sa.BigInteger, sa.ForeignKey("refdata_imports.id"), nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("account_number", sa.String(40), nullable=False),
    sa.Index(None, "account_number"),
    sa.Index(None, "import_id"),
)

# One row per cadre and near relative (a cadre listed without relatives has NULL
# relative columns). ``filed``: the relation was filed (近亲属备案) as the rules require.
ref_cadre_relatives = sa.Table(
    "ref_cadre_relatives",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("import_id", sa.BigInteger, sa.ForeignKey("refdata_imports.id"), nullable=False),
    sa.Column("row_no", sa.Integer, nullable=False),
    sa.Column("cadre_id_number", sa.String(18), nullable=False),
    sa.Column("cadre_name", sa.String(64), nullable=False),
    sa.Column("employer", sa.String(128)),
    sa.Column("position", sa.String(64)),
    sa.Column("relative_id_number", sa.String(18)),
    sa.Column("relative_name", sa.String(64)),
    sa.Column("relation", sa.String(32)),
    sa.Column("filed", sa.Boolean, nullable=False),
    sa.Index(None, "cadre_id_number"),
    sa.Index(None, "relative_id_number"),
    sa.Index(None, "import_id"),
)
