"""Arrange 临时救助 cases through the real services."""

from dataclasses import replace
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ledger import oneoff
from ledger.db.uow import UnitOfWork
from ledger.identity import luhn_digit
from tests.support.findings import COUNTY, pid

NOW = datetime(2026, 11, 2, 8, tzinfo=UTC)


def card(n: int) -> str:
    """A card number with a right Luhn check digit."""
    body = f"6217000000{500 + n:08d}"
    return body + luhn_digit(body)


def new_case(n: int = 1, **changes: object) -> oneoff.NewCase:
    case = oneoff.NewCase(
        id_number=pid(500 + n),
        name=f"申请人{n}",
        household=f"H{n:04d}",
        category="急难",
        amount="1500.00",
        township="T01",
        village="V0101",
        bank="ICBC",
        account_number=card(n),
        documents=(f"民临救〔2026〕{n}号",),
        reason="火灾",
        case_date=date(2026, 11, 1),
    )
    return replace(case, **changes)  # type: ignore[arg-type]


def add(engine: sa.Engine, case: oneoff.NewCase, operator: str = "alice") -> oneoff.AddedCase:
    with UnitOfWork(engine) as uow:
        return oneoff.add_case(uow, COUNTY, case, operator=operator, now=NOW)


def approve(engine: sa.Engine, case_id: int, operator: str = "checker") -> oneoff.CaseApproval:
    with UnitOfWork(engine) as uow:
        return oneoff.approve_case(uow, case_id, operator=operator, now=NOW)


def approved_case(engine: sa.Engine, n: int = 1, **changes: object) -> int:
    added = add(engine, new_case(n, **changes))
    approve(engine, added.id)
    return added.id
