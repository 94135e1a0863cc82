"""Who is acting: operators, their roles, and which role each command needs.

An operator is a registered record (``ledger operators add``), never a typed word: a
name is compared in its normalised form (``name_key``: NFKC, trimmed, case-folded), so
``' Li.Finance'`` and ``'ｌｉ.finance'`` are the same person as ``li.finance``. Each
command that changes the ledger needs one role (``COMMAND_ROLES``); the check is made in
one place, when the command opens its unit of work (``ledger.cli_support``).

On PostgreSQL the operator is the database login: ``operators add`` creates a LOGIN role
named by the operator's key, member of the group role of each of its roles
(``ledger.db.operators_store``). On SQLite the name is checked against the register and
the OS login that ran the command is recorded beside it.
"""

import getpass
import os
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from ledger.errors import LedgerError


class Role(StrEnum):
    CIVIL_AFFAIRS = "civil_affairs"  # roster, reference data, bank returns, rectification
    FINANCE_MAKER = "finance_maker"  # allocations, batch run/re-issue, export, recoveries
    FINANCE_CHECKER = "finance_checker"  # approve, void, reverse, close period
    AUDITOR = "auditor"  # reads everything; the findings workflow
    ADMIN = "admin"  # operators only, no money


DEPARTMENTS = ("民政", "财政", "审计")

# Every command that changes the ledger and the one role it needs. Commands not listed
# only read (anyone who can open the database may run them; on PostgreSQL every group
# role has SELECT) or do not touch a ledger (config, demo bank, db upgrade by the DBA).
COMMAND_ROLES: dict[str, Role] = {
    "registry import": Role.CIVIL_AFFAIRS,
    "registry categories": Role.CIVIL_AFFAIRS,
    "refdata import": Role.CIVIL_AFFAIRS,
    "reconcile import": Role.CIVIL_AFFAIRS,
    "reconcile cancel": Role.CIVIL_AFFAIRS,
    "findings rectify": Role.CIVIL_AFFAIRS,
    "oneoff add": Role.CIVIL_AFFAIRS,
    "funds allocate": Role.FINANCE_MAKER,
    "funds import": Role.FINANCE_MAKER,
    "funds receive-recovery": Role.FINANCE_MAKER,
    "batch run": Role.FINANCE_MAKER,
    "batch reissue": Role.FINANCE_MAKER,
    "batch export": Role.FINANCE_MAKER,
    "batch deduction add": Role.FINANCE_MAKER,
    "oneoff pay": Role.FINANCE_MAKER,
    "findings recover": Role.FINANCE_MAKER,
    "findings write-off": Role.FINANCE_MAKER,
    "batch approve": Role.FINANCE_CHECKER,
    "batch void": Role.FINANCE_CHECKER,
    "batch release": Role.FINANCE_CHECKER,
    "oneoff approve": Role.FINANCE_CHECKER,
    "journal reverse": Role.FINANCE_CHECKER,
    "journal close-period": Role.FINANCE_CHECKER,
    "funds close-year": Role.FINANCE_CHECKER,
    "findings approve-write-off": Role.FINANCE_CHECKER,
    "findings detect": Role.AUDITOR,
    "findings assign": Role.AUDITOR,
    "findings dismiss": Role.AUDITOR,
    "findings verify": Role.AUDITOR,
    # Reads only, but hands the county's personal data to the province: the auditor.
    "province extract": Role.AUDITOR,
    "province import": Role.AUDITOR,
    "findings escalate": Role.AUDITOR,
    "operators add": Role.ADMIN,
    "operators disable": Role.ADMIN,
    "operators grant": Role.ADMIN,
    "operators revoke": Role.ADMIN,
    "operators set-password": Role.ADMIN,
}

# Separation of duties: an administrator handles no money and an auditor is independent
# of those audited, so neither role is held together with any other.
EXCLUSIVE_ROLES = (Role.ADMIN, Role.AUDITOR)

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")


def name_key(name: str) -> str:
    """The form names are compared in: NFKC, trimmed, case-folded (NFKC again after
    folding, as Unicode's caseless matching does)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).strip().casefold())


def check_new_name(name: str) -> str:
    """The key of a name being registered: letters, digits, ``.``, ``_``, ``-`` after
    normalisation, at most 63 (a PostgreSQL role name)."""
    key = name_key(name)
    if not _NAME.fullmatch(key):
        raise LedgerError(
            f"operator name {name!r}: use letters, digits, '.', '_' or '-' "
            "(at most 63, starting with a letter or digit), e.g. li.finance"
        )
    return key


def parse_roles(values: tuple[str, ...] | list[str]) -> list[Role]:
    known = {r.value for r in Role}
    unknown = [v for v in values if v not in known]
    if unknown:
        raise LedgerError(
            f"unknown role(s) {', '.join(unknown)} (known: {', '.join(r.value for r in Role)})"
        )
    return sorted({Role(v) for v in values})


def check_role_combination(roles: set[Role]) -> None:
    for exclusive in EXCLUSIVE_ROLES:
        if exclusive in roles and len(roles) > 1:
            others = ", ".join(sorted(r.value for r in roles if r != exclusive))
            raise LedgerError(
                f"role {exclusive.value} is held alone (separation of duties): "
                f"not together with {others}"
            )


def check_department(department: str) -> str:
    if department not in DEPARTMENTS:
        raise LedgerError(f"department {department!r}: must be one of {', '.join(DEPARTMENTS)}")
    return department


@dataclass(frozen=True)
class Operator:
    name: str  # as registered
    key: str
    full_name: str
    department: str
    roles: frozenset[Role]
    active: bool


def refusal(who: str, needed: Role, operator: Operator | None) -> str | None:
    """The one line refusing ``who`` a command needing ``needed``, or None if allowed."""
    if operator is None:
        return (
            f"operator {who!r} is not registered: needs role {needed.value}, holds none "
            "(an administrator registers operators with `ledger operators add`)"
        )
    held = ", ".join(sorted(r.value for r in operator.roles)) or "none"
    if not operator.active:
        return f"operator {operator.name!r} is disabled: needs role {needed.value}, holds {held}"
    if needed not in operator.roles:
        return f"operator {operator.name!r} needs role {needed.value}, holds {held}"
    return None


def os_login() -> str:
    """The OS account that runs this process (recorded beside the operator on SQLite)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
