"""The operators the tests act as, registered in every test database (the conftest
templates): each name with the roles its tests' commands need."""

import sqlalchemy as sa

from ledger.db import operators_store
from ledger.db.events import record_event
from ledger.operators import Role

C, M, K, A = Role.CIVIL_AFFAIRS, Role.FINANCE_MAKER, Role.FINANCE_CHECKER, Role.AUDITOR

TEST_OPERATORS: dict[str, tuple[str, tuple[Role, ...]]] = {
    # civil affairs (民政): roster, reference data, bank returns, rectification
    "alice": ("民政", (C,)),
    "carol": ("民政", (C,)),
    "reconciler": ("民政", (C,)),
    "r": ("民政", (C,)),
    "zhao": ("民政", (C,)),
    "clerk": ("民政", (C, M)),
    # finance (财政): makers and checkers
    "maker": ("财政", (M, K)),  # a checker too: the maker-checker tests
    "m": ("财政", (M,)),
    "dora": ("财政", (M,)),
    "cashier": ("财政", (M,)),
    "c": ("财政", (M,)),
    "checker": ("财政", (K,)),
    "checker2": ("财政", (K,)),
    "fin": ("财政", (K,)),
    "finance": ("财政", (K,)),
    # audit (审计)
    "auditor": ("审计", (A,)),
    "a2": ("审计", (A,)),
    "chief": ("审计", (A,)),
    # a finance checker from another department (the other-department band)
    "min.checker": ("民政", (K,)),
    # the administrator (so that the register is not in its first-administrator setup)
    "admin": ("财政", (Role.ADMIN,)),
    # one role each: the role-map tests
    **{f"only.{r.value}": ("审计" if r == A else "财政", (r,)) for r in Role},
}


def register_test_operators(connection: sa.Connection) -> None:
    for name, (department, roles) in TEST_OPERATORS.items():
        operators_store.insert(
            connection,
            name=name,
            key=name,
            full_name=f"测试 {name}",
            department=department,
            roles=list(roles),
            by="conftest",
        )
    # What `ledger operators add` records: the register's state is on the event chain.
    record_event(
        connection,
        operator="conftest",
        action="operator.added",
        subject_type="operator",
        subject_id="test operators",
    )
