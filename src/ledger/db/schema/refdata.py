"""Reference lists the audit rules match against: deaths, staff, cadres and relatives,
and the asset lists (vehicles, property, business registrations, provident fund).

Each file imported is one ``refdata_imports`` row; its rows keep the import id, so every
list can be read as it stood after any import. Rows are written once and never changed.
Which rows are current: the death registry is cumulative (every import counts), the staff
and cadre rosters and the asset lists are snapshots (the latest import of the kind
replaces the earlier ones). Asset rows keep the list's status text and whether it is
current (``active``): a scrapped vehicle, a cancelled certificate, a deregistered business
or a sealed provident-fund account never counts. Money is BIGINT fen, areas are whole
square decimetres (1 ㎡ = 100 dm²).
"""

import sqlalchemy as sa

from ledger.db.schema.base import BigId, imported_file, metadata

refdata_imports = sa.Table(
    "refdata_imports",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    *imported_file(),
    sa.Column("db_login", sa.String(64)),
    sa.CheckConstraint(
        "kind IN ('deaths', 'staff', 'cadres', 'vehicles', 'property', 'business', "
        "'provident_fund')",
        name="kind",
    ),
)


def _list_row(*, line: bool = True) -> list[sa.Column[object]]:
    """A list row's own columns: its id, its import and (``line``) its line in the file."""
    columns: list[sa.Column[object]] = [
        sa.Column("id", BigId, primary_key=True),
        sa.Column("import_id", sa.BigInteger, sa.ForeignKey("refdata_imports.id"), nullable=False),
    ]
    if line:
        columns.append(sa.Column("row_no", sa.Integer, nullable=False))
    return columns


ref_deaths = sa.Table(
    "ref_deaths",
    metadata,
    *_list_row(),
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
    *_list_row(),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("employer", sa.String(128), nullable=False),
    # 人员类别 as the payroll names it (在编在岗, 离退休, 编外聘用...); optional.
    sa.Column("category", sa.String(32)),
    sa.Index(None, "id_number"),
    sa.Index(None, "import_id"),
)

# A staff member's salary accounts, one row per account (a payee account that belongs to
# staff is a finding).
ref_staff_accounts = sa.Table(
    "ref_staff_accounts",
    metadata,
    *_list_row(line=False),
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
    *_list_row(),
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


def _asset_list(name: str, *columns: sa.Column[object]) -> sa.Table:
    """An asset list: import, file row, owner's ID and name, the list's own columns, the
    status as written and whether the row is current."""
    return sa.Table(
        name,
        metadata,
        *_list_row(),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("name", sa.String(64)),
        *columns,
        sa.Column("status", sa.String(16)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Index(None, "id_number"),
        sa.Index(None, "import_id"),
    )


# 车辆 (公安交管): one row per vehicle; value_fen NULL when the list states none.
ref_vehicles = _asset_list(
    "ref_vehicles",
    sa.Column("plate", sa.String(16), nullable=False),
    sa.Column("vehicle_type", sa.String(32)),
    sa.Column("value_fen", sa.BigInteger),
    sa.Column("registered_on", sa.Date),
)

# 不动产: one row per property and owner (co-owners each have one).
ref_property = _asset_list(
    "ref_property",
    sa.Column("certificate_no", sa.String(64), nullable=False),
    sa.Column("location", sa.String(255)),
    sa.Column("usage", sa.String(32)),
    sa.Column("area_dm2", sa.BigInteger, nullable=False),
    sa.Column("registered_on", sa.Date),
)

# 工商/市场主体: one row per business and person (法定代表人, 股东, 经营者...).
ref_businesses = _asset_list(
    "ref_businesses",
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("company", sa.String(255), nullable=False),
    sa.Column("role", sa.String(32)),
    sa.Column("entity_type", sa.String(64)),
    sa.Column("capital_fen", sa.BigInteger),
    sa.Column("established_on", sa.Date),
)

# 住房公积金: one row per depositor; the monthly deposit is employee + employer.
ref_provident_fund = _asset_list(
    "ref_provident_fund",
    sa.Column("employer", sa.String(255), nullable=False),
    sa.Column("monthly_deposit_fen", sa.BigInteger, nullable=False),
    sa.Column("paid_to", sa.String(7)),
)
