"""Maker-checker approvals, one path for payment batches and one-off cases: who may
record an approval, and what the subject's rule (N distinct finance checkers, one of
another department than the maker's) still misses once it is recorded."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db import operators_store
from ledger.errors import LedgerError
from ledger.operators import Operator, Role, name_key, refusal


def checker(
    connection: sa.Connection, operator: str, previous: Sequence[Any], subject: str
) -> Operator:
    """The registered finance checker ``operator``, who has not yet approved ``subject``
    (``previous``: its approvals so far, with ``operator_key``)."""
    key = name_key(operator)
    found = operators_store.load(connection, key)
    problem = refusal(operator, Role.FINANCE_CHECKER, found)
    if problem is not None or found is None:
        raise LedgerError(problem or f"operator {operator!r} is not registered")
    if any(a.operator_key == key for a in previous):
        raise LedgerError(
            f"{subject}: {found.name} has already approved it; its rule needs a different checker"
        )
    return found


def still_missing(
    connection: sa.Connection,
    previous: Sequence[Any],
    approver: Operator,
    *,
    maker_key: str,
    required: int,
    other_department: bool,
) -> list[str]:
    """What the rule still misses with ``approver``'s approval added to ``previous``
    (each with ``department``); empty when it is met."""
    maker = operators_store.load(connection, maker_key)
    count = len(previous) + 1
    missing = []
    if count < required:
        missing.append(f"{required - count} more checker(s)")
    departments = {a.department for a in previous} | {approver.department}
    if other_department and not (departments - {None, "", maker.department if maker else None}):
        missing.append(
            "a checker of a department other than the maker's"
            + (f" ({maker.department})" if maker and maker.department else "")
        )
    return missing
