"""``ledger operators``: the operator register (administrators only; no money)."""

from typing import Any

import click

from ledger import operator_register as register
from ledger.cli_support import AppContext, admin_operator_option, emit, format_option, pass_app
from ledger.db import operators_store as store
from ledger.operators import DEPARTMENTS, Role, os_login

_ROLE = click.Choice([r.value for r in Role])


@click.group()
def operators() -> None:
    """Operators (经办人员) and their roles: who may do what in this ledger.

    Roles: civil_affairs (roster, reference data, bank returns), finance_maker
    (allocations, batch run, export), finance_checker (approve, void, close period),
    auditor (reads; findings workflow), admin (operators only, no money). On PostgreSQL
    each operator is a database login (see docs/operations.md).
    """


def _by(operator: str) -> str:
    """Who is recorded for a register change: the administrator, or while none is
    registered yet, the OS login that set the ledger up."""
    return operator or f"setup:{os_login()}"


@operators.command()
@click.argument("name")
@click.option(
    "--role", "roles", multiple=True, required=True, type=_ROLE, help="A role (repeatable)."
)
@click.option("--full-name", required=True, help="The person's full name (姓名).")
@click.option(
    "--dept", "department", required=True, type=click.Choice(DEPARTMENTS), help="Department."
)
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="PostgreSQL: set the login's password from this environment variable (without it "
    "the login has no password: peer or certificate authentication in pg_hba.conf).",
)
@admin_operator_option
@pass_app
def add(
    app: AppContext,
    name: str,
    roles: tuple[str, ...],
    full_name: str,
    department: str,
    password_env: str | None,
    operator: str,
) -> None:
    """Register operator NAME with its roles and department (on PostgreSQL: create its
    LOGIN role in the roles' groups). Names are unique NFKC-normalised, trimmed and
    case-folded: 'Li.Finance' and 'li.finance' are one operator."""
    password = None
    if password_env is not None:
        import os

        password = os.environ.get(password_env)
        if not password:
            raise click.UsageError(f"--password-env {password_env}: the variable is not set")
    with app.unit_of_work() as uow:
        key = register.add(
            uow,
            name,
            roles=roles,
            full_name=full_name,
            department=department,
            by=_by(operator),
            password=password,
        )
    click.echo(f"Operator {key} registered: {', '.join(sorted(roles))} ({department}).")


@operators.command("list")
@format_option
@pass_app
def list_(app: AppContext, output_format: str) -> None:
    """List the operators, their roles and whether they are active."""
    with app.reader() as uow:
        rows = store.list_all(uow.connection)
    emit(
        [_row(r) for r in rows],
        ["name", "full_name", "department", "roles", "status"],
        output_format,
    )


def _row(row: Any) -> dict[str, Any]:
    status = "disabled" if row.disabled_at is not None else "active"
    if row.legacy:
        status += " (legacy)"
    return {
        "name": row.name,
        "full_name": row.full_name,
        "department": row.department or "",
        "roles": ",".join(sorted((row.roles or "").split(","))).strip(","),
        "status": status,
    }


@operators.command()
@click.argument("name")
@admin_operator_option
@pass_app
def disable(app: AppContext, name: str, operator: str) -> None:
    """Disable operator NAME: it can no longer act (on PostgreSQL its login is NOLOGIN).
    Operators are never deleted: the names in the ledger stay theirs."""
    with app.unit_of_work() as uow:
        register.disable(uow, name, by=_by(operator))
    click.echo(f"Operator {name} disabled.")


@operators.command()
@click.argument("name")
@click.option(
    "--role", "roles", multiple=True, required=True, type=_ROLE, help="A role (repeatable)."
)
@click.option(
    "--dept",
    "department",
    default=None,
    type=click.Choice(DEPARTMENTS),
    help="Department, for a legacy operator that has none yet.",
)
@admin_operator_option
@pass_app
def grant(
    app: AppContext, name: str, roles: tuple[str, ...], department: str | None, operator: str
) -> None:
    """Give operator NAME more roles."""
    with app.unit_of_work() as uow:
        granted = register.grant(uow, name, roles, by=_by(operator), department=department)
    click.echo(f"Operator {name} granted {', '.join(r.value for r in granted)}.")


@operators.command()
@click.argument("name")
@click.option(
    "--role", "roles", multiple=True, required=True, type=_ROLE, help="A role (repeatable)."
)
@admin_operator_option
@pass_app
def revoke(app: AppContext, name: str, roles: tuple[str, ...], operator: str) -> None:
    """Take roles from operator NAME."""
    with app.unit_of_work() as uow:
        register.revoke(uow, name, roles, by=_by(operator))
    click.echo(f"Operator {name}: {', '.join(roles)} revoked.")


@operators.command("set-password")
@click.argument("name")
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="Take the password from this environment variable (default: asked twice, hidden).",
)
@admin_operator_option
@pass_app
def set_password(app: AppContext, name: str, password_env: str | None, operator: str) -> None:
    """Set the password operator NAME signs in to `ledger web` with (at least 10
    characters; stored as a salted scrypt hash, never as text). A new password also
    ends a lock-out after failed sign-ins."""
    from ledger.web.signin import set_password as set_web_password

    if password_env is not None:
        import os

        password = os.environ.get(password_env)
        if not password:
            raise click.UsageError(f"--password-env {password_env}: the variable is not set")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with app.unit_of_work() as uow:
        key = set_web_password(uow, name, password, by=_by(operator))
    click.echo(f"Password of operator {key} set for the web console.")
