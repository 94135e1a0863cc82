"""The operator register as services: add, disable, grant, revoke, and the check every
command that changes the ledger passes (``authorise``).

Each service is one unit of work with an audit event. On PostgreSQL the register and
the database roles move together in that transaction (role DDL is transactional): the
operator's LOGIN role is created, disabled (NOLOGIN), granted or revoked its group roles.
"""

import sqlalchemy as sa

from ledger.db import operators_store as store
from ledger.db.events import record_event
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.operators import (
    Operator,
    Role,
    check_department,
    check_new_name,
    check_role_combination,
    name_key,
    parse_roles,
    refusal,
)


def authorise(connection: sa.Connection, who: str, needed: Role) -> Operator | None:
    """The operator ``who`` if they may run a command needing ``needed``; else
    ``LedgerError`` in one line naming the operator, the role needed and the roles held.

    While no administrator is registered, the administrator's commands are open (the
    first one is added by whoever set up the database) and None is returned. On
    PostgreSQL ``who`` must be the database login, unless the login is the database's
    owner or a superuser (the DBA's maintenance account).
    """
    if needed == Role.ADMIN and not store.any_admin(connection):
        return None
    if not who.strip():
        raise LedgerError(f"give --operator (or LEDGER_OPERATOR): this needs role {needed.value}")
    key = name_key(who)
    login = store.session_login(connection)
    if login is not None and key != login and not store.login_is_maintenance(connection):
        raise LedgerError(
            f"operator {who!r} is not the database login {login!r}: on PostgreSQL you act "
            "as the login you connected with"
        )
    operator = store.load(connection, key)
    problem = refusal(who, needed, operator)
    if problem is not None:
        raise LedgerError(problem)
    return operator


def add(
    uow: UnitOfWork,
    name: str,
    *,
    roles: list[str] | tuple[str, ...],
    full_name: str,
    department: str,
    by: str,
    password: str | None = None,
) -> str:
    """Register an operator (and on PostgreSQL create its login); return its name."""
    key = check_new_name(name)
    parsed = parse_roles(list(roles))
    if not parsed:
        raise LedgerError("give the operator at least one role (--role)")
    check_role_combination(set(parsed))
    check_department(department)
    if not full_name.strip():
        raise LedgerError("give the operator's full name (--full-name)")
    connection = uow.connection
    existing = store.load(connection, key)
    if existing is not None:
        raise LedgerError(
            f"operator {name!r} is already registered as {existing.name!r} "
            "(names are compared NFKC-normalised, trimmed and case-folded)"
        )
    store.insert(
        connection,
        name=key,
        key=key,
        full_name=full_name.strip(),
        department=department,
        roles=parsed,
        by=by,
    )
    if connection.dialect.name == "postgresql":
        store.create_login(connection, key, parsed, password=password)
    record_event(
        connection,
        operator=by,
        action="operator.added",
        subject_type="operator",
        subject_id=key,
        detail={
            "roles": [r.value for r in parsed],
            "full_name": full_name.strip(),
            "department": department,
            "password": password is not None,
        },
    )
    uow.commit()
    return key


def _existing(connection: sa.Connection, name: str) -> tuple[int, Operator]:
    key = name_key(name)
    operator = store.load(connection, key)
    if operator is None:
        raise LedgerError(f"no operator {name!r} is registered (see `ledger operators list`)")
    return store.operator_id(connection, key), operator


def disable(uow: UnitOfWork, name: str, *, by: str) -> None:
    """Disable an operator (never deleted: the names in the ledger stay resolvable)."""
    connection = uow.connection
    operator_id, operator = _existing(connection, name)
    if not operator.active:
        raise LedgerError(f"operator {operator.name!r} is already disabled")
    if name_key(by) == operator.key:
        raise LedgerError("an administrator cannot disable themselves")
    store.disable(connection, operator_id, by=by)
    if connection.dialect.name == "postgresql":
        store.disable_login(connection, operator.key)
    record_event(
        connection,
        operator=by,
        action="operator.disabled",
        subject_type="operator",
        subject_id=operator.key,
    )
    uow.commit()


def grant(
    uow: UnitOfWork,
    name: str,
    roles: list[str] | tuple[str, ...],
    *,
    by: str,
    department: str | None = None,
) -> list[Role]:
    """Give an operator roles (a legacy operator also gets its department)."""
    connection = uow.connection
    operator_id, operator = _existing(connection, name)
    if not operator.active:
        raise LedgerError(f"operator {operator.name!r} is disabled: nothing can be granted")
    parsed = [r for r in parse_roles(list(roles)) if r not in operator.roles]
    if not parsed:
        raise LedgerError(f"operator {operator.name!r} already holds those roles")
    check_role_combination(set(parsed) | operator.roles)
    if department is not None and operator.department and department != operator.department:
        raise LedgerError(
            f"operator {operator.name!r} belongs to {operator.department}: a department "
            "never changes (register a new operator)"
        )
    if not operator.department:
        if department is None:
            raise LedgerError(f"operator {operator.name!r} has no department yet: give --dept")
        store.set_department(connection, operator_id, check_department(department))
    store.grant(connection, operator_id, parsed, by=by)
    if connection.dialect.name == "postgresql":
        store.create_login(connection, operator.key, parsed, password=None)
    record_event(
        connection,
        operator=by,
        action="operator.granted",
        subject_type="operator",
        subject_id=operator.key,
        detail={"roles": [r.value for r in parsed], "department": department},
    )
    uow.commit()
    return parsed


def revoke(uow: UnitOfWork, name: str, roles: list[str] | tuple[str, ...], *, by: str) -> None:
    connection = uow.connection
    operator_id, operator = _existing(connection, name)
    parsed = parse_roles(list(roles))
    absent = [r.value for r in parsed if r not in operator.roles]
    if absent:
        raise LedgerError(f"operator {operator.name!r} does not hold {', '.join(absent)}")
    store.revoke(connection, operator_id, parsed)
    if connection.dialect.name == "postgresql":
        store.revoke_groups(connection, operator.key, parsed)
    record_event(
        connection,
        operator=by,
        action="operator.revoked",
        subject_type="operator",
        subject_id=operator.key,
        detail={"roles": [r.value for r in parsed]},
    )
    uow.commit()
