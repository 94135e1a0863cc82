"""The operator register in SQL, and on PostgreSQL the database roles behind it.

On PostgreSQL each operator is a LOGIN role named by its key, member of one group role
per ledger role: ``{database}_{role}`` (so that two counties' ledgers on one server, or
two test databases, never share a group). ``ensure_group_roles`` creates the groups and
gives each exactly the privileges its commands need (``GROUP_WRITES``); everyone reads.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.db.schema import operator_roles, operators
from ledger.errors import LedgerError
from ledger.operators import Operator, Role, os_login

# The tables each role's commands write (INSERT/UPDATE; DELETE where named), besides
# audit_events, which every writer appends to. SELECT on every table is granted to all.
GROUP_WRITES: dict[Role, tuple[str, ...]] = {
    Role.CIVIL_AFFAIRS: (
        "recipients",
        "enrolments",
        "payable_rollups",  # rebuilt by the roster import (ledger.db.kept_totals)
        "roster_imports",
        "roster_import_details",
        "roster_import_warnings",
        "refdata_imports",
        "ref_deaths",
        "ref_staff",
        "ref_staff_accounts",
        "ref_cadre_relatives",
        "ref_vehicles",
        "ref_property",
        "ref_businesses",
        "ref_provident_fund",
        "return_files",
        "instruction_outcomes",
        "return_outcome_counts",  # kept with the outcomes (ledger.db.kept_totals)
        "batches",  # reconciliation moves a batch to (partially_) reconciled
        "reconciliation_exceptions",
        "payment_instructions",
        "entitlements",
        "transactions",
        "postings",
        "account_balances",  # kept with the postings (ledger.db.kept_totals)
        "accounts",
        "findings",
        "finding_events",
        "fund_lineage",  # a bank return gives the money back to its allocations
        "category_imports",  # 分类施保 categories lists (registry categories)
        "recipient_categories",
    ),
    Role.FINANCE_MAKER: (
        "allocations",
        "fund_lineage",  # the funding's draws, recovered money given back
        "batches",
        "entitlements",
        "payment_instructions",
        "instruction_holds",  # screening at batch run and reissue
        "household_shares",  # household payments at batch run (ledger.households)
        "institution_payments",  # 集中供养 institution payments at batch run
        "deduction_plans",  # 扣减: batch deduction add
        "deductions",  # taken at batch run
        "transactions",
        "postings",
        "account_balances",  # kept with the postings (ledger.db.kept_totals)
        "payable_rollups",
        "accounts",
        "findings",
        "finding_events",
    ),
    Role.FINANCE_CHECKER: (
        "batches",
        "batch_approvals",
        "hold_releases",
        "entitlements",
        "payment_instructions",
        "transactions",
        "postings",
        "account_balances",  # kept with the postings (ledger.db.kept_totals)
        "payable_rollups",
        "accounts",
        "periods",
        "fund_lineage",  # reversals mirror it; the year end empties allocations
        "allocations",  # the year end records carry-overs as next year's allocations
        "findings",  # approving a write-off
        "finding_events",
    ),
    # The findings workflow only: never money, roster, batches or operators.
    Role.AUDITOR: ("findings", "finding_events"),
    Role.ADMIN: ("operators", "operator_roles", "web_credentials"),
}
# payable_rollups is rebuilt (DELETE, INSERT ... SELECT) by the roles that keep it.
DELETES: dict[Role, tuple[str, ...]] = {
    Role.ADMIN: ("operator_roles",),
    Role.CIVIL_AFFAIRS: ("payable_rollups",),
    Role.FINANCE_MAKER: ("payable_rollups",),
    Role.FINANCE_CHECKER: ("payable_rollups",),
}


def load(connection: sa.Connection, key: str) -> Operator | None:
    row = connection.execute(sa.select(operators).where(operators.c.name_key == key)).first()
    if row is None:
        return None
    roles = connection.execute(
        sa.select(operator_roles.c.role).where(operator_roles.c.operator_id == row.id)
    ).scalars()
    return Operator(
        name=row.name,
        key=row.name_key,
        full_name=row.full_name,
        department=row.department or "",
        roles=frozenset(Role(r) for r in roles),
        active=row.disabled_at is None,
    )


def any_admin(connection: sa.Connection) -> bool:
    """Whether an active administrator is registered (until then the register is open:
    the first administrator is added by whoever set up the database)."""
    query = (
        sa.select(sa.literal(1))
        .select_from(operators.join(operator_roles))
        .where(operator_roles.c.role == Role.ADMIN.value, operators.c.disabled_at.is_(None))
    )
    return connection.execute(query).first() is not None


def insert(
    connection: sa.Connection,
    *,
    name: str,
    key: str,
    full_name: str,
    department: str,
    roles: list[Role],
    by: str,
    now: datetime | None = None,
) -> None:
    moment = now or datetime.now(UTC)
    operator_id = connection.execute(
        operators.insert()
        .values(
            name=name,
            name_key=key,
            full_name=full_name,
            department=department,
            created_by=by,
            created_at=moment,
            db_login=os_login(),
        )
        .returning(operators.c.id)
    ).scalar_one()
    grant(connection, int(operator_id), roles, by=by, now=moment)


def operator_id(connection: sa.Connection, key: str) -> int:
    found = connection.execute(
        sa.select(operators.c.id).where(operators.c.name_key == key)
    ).scalar()
    if found is None:
        raise LedgerError(f"no operator {key!r} is registered (see `ledger operators list`)")
    return int(found)


def grant(
    connection: sa.Connection,
    operator_id: int,
    roles: list[Role],
    *,
    by: str,
    now: datetime | None = None,
) -> None:
    if roles:
        connection.execute(
            operator_roles.insert(),
            [
                {
                    "operator_id": operator_id,
                    "role": r.value,
                    "granted_by": by,
                    "granted_at": now or datetime.now(UTC),
                }
                for r in roles
            ],
        )


def revoke(connection: sa.Connection, operator_id: int, roles: list[Role]) -> None:
    connection.execute(
        operator_roles.delete().where(
            operator_roles.c.operator_id == operator_id,
            operator_roles.c.role.in_([r.value for r in roles]),
        )
    )


def set_department(connection: sa.Connection, operator_id: int, department: str) -> None:
    connection.execute(
        operators.update().where(operators.c.id == operator_id).values(department=department)
    )


def disable(connection: sa.Connection, operator_id: int, *, by: str) -> None:
    connection.execute(
        operators.update()
        .where(operators.c.id == operator_id)
        .values(disabled_by=by, disabled_at=datetime.now(UTC))
    )


def list_all(connection: sa.Connection) -> list[sa.Row]:
    roles = (
        sa.select(
            operator_roles.c.operator_id,
            sa.func.group_concat(operator_roles.c.role).label("roles")
            if connection.dialect.name == "sqlite"
            else sa.func.string_agg(operator_roles.c.role, ",").label("roles"),
        )
        .group_by(operator_roles.c.operator_id)
        .subquery()
    )
    query = (
        sa.select(operators, roles.c.roles)
        .outerjoin(roles, roles.c.operator_id == operators.c.id)
        .order_by(operators.c.name_key)
    )
    return list(connection.execute(query))


# PostgreSQL: logins and group roles.


def session_login(connection: sa.Connection) -> str | None:
    """The database login on PostgreSQL (``session_user``); None on SQLite."""
    if connection.dialect.name != "postgresql":
        return None
    return str(connection.exec_driver_sql("SELECT session_user").scalar_one())


def login_is_maintenance(connection: sa.Connection) -> bool:
    """Whether the PostgreSQL login is the database owner or a superuser: the DBA's
    maintenance account, which a database cannot hold to anything (docs/operations.md)."""
    row = connection.exec_driver_sql(
        "SELECT r.rolsuper OR d.datdba = r.oid FROM pg_roles r, pg_database d "
        "WHERE r.rolname = session_user AND d.datname = current_database()"
    ).scalar_one()
    return bool(row)


def group_role(connection: sa.Connection, role: Role) -> str:
    database = str(connection.exec_driver_sql("SELECT current_database()").scalar_one())
    return f"{database}_{role.value}"[:63]


def _quote(connection: sa.Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def ensure_group_roles(connection: sa.Connection) -> None:
    """Create the group roles if missing and (re)grant their privileges: run after every
    ``ledger db upgrade`` too, so that new tables are covered (``operators add`` does)."""
    q = lambda n: _quote(connection, n)  # noqa: E731
    database = str(connection.exec_driver_sql("SELECT current_database()").scalar_one())
    tables = [
        row[0]
        for row in connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
    ]
    for role in Role:
        group = group_role(connection, role)
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = %(n)s", {"n": group}
        ).first()
        if exists is None:
            connection.exec_driver_sql(f"CREATE ROLE {q(group)} NOLOGIN")
        connection.exec_driver_sql(f"GRANT CONNECT ON DATABASE {q(database)} TO {q(group)}")
        connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {q(group)}")
        connection.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {q(group)}")
        writes = [t for t in (*GROUP_WRITES[role], "audit_events") if t in tables]
        for table in writes:
            connection.exec_driver_sql(f"GRANT INSERT, UPDATE ON {q(table)} TO {q(group)}")
        for table in DELETES.get(role, ()):
            connection.exec_driver_sql(f"GRANT DELETE ON {q(table)} TO {q(group)}")
        # Bulk paths stage rows in temporary tables; ids come from sequences.
        connection.exec_driver_sql(f"GRANT TEMPORARY ON DATABASE {q(database)} TO {q(group)}")
        connection.exec_driver_sql(
            f"GRANT USAGE, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {q(group)}"
        )


def regrant_after_upgrade(engine: Engine) -> bool:
    """After ``ledger db upgrade`` on PostgreSQL: if operators' group roles exist, grant
    them again (new tables). Returns whether it did."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.begin() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = %(n)s",
            {"n": group_role(connection, Role.ADMIN)},
        ).first()
        if exists is None:
            return False
        ensure_group_roles(connection)
    return True


def create_login(
    connection: sa.Connection, key: str, roles: list[Role], *, password: str | None
) -> None:
    """The operator's LOGIN role (with a password, or none for peer/cert authentication
    configured in pg_hba.conf), member of its roles' groups."""
    q = lambda n: _quote(connection, n)  # noqa: E731
    ensure_group_roles(connection)
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM pg_roles WHERE rolname = %(n)s", {"n": key}
    ).first()
    attributes = "LOGIN"
    if Role.ADMIN in roles:
        attributes += " CREATEROLE"
    if exists is None:
        connection.exec_driver_sql(f"CREATE ROLE {q(key)} {attributes}")
    if password is not None:
        # A utility statement takes no parameters: the password as a quoted literal.
        literal = "'" + password.replace("'", "''") + "'"
        connection.exec_driver_sql(f"ALTER ROLE {q(key)} PASSWORD {literal}")
    grant_groups(connection, key, roles)


def grant_groups(connection: sa.Connection, key: str, roles: list[Role]) -> None:
    q = lambda n: _quote(connection, n)  # noqa: E731
    for role in roles:
        connection.exec_driver_sql(f"GRANT {q(group_role(connection, role))} TO {q(key)}")


def revoke_groups(connection: sa.Connection, key: str, roles: list[Role]) -> None:
    q = lambda n: _quote(connection, n)  # noqa: E731
    for role in roles:
        connection.exec_driver_sql(f"REVOKE {q(group_role(connection, role))} FROM {q(key)}")


def disable_login(connection: sa.Connection, key: str) -> None:
    """A disabled operator's login cannot connect (NOLOGIN); the role stays, so that the
    rows it wrote still name it."""
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM pg_roles WHERE rolname = %(n)s", {"n": key}
    ).first()
    if exists is not None:
        connection.exec_driver_sql(f"ALTER ROLE {_quote(connection, key)} NOLOGIN")
