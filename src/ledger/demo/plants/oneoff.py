"""Planted 临时救助 one-off cases (issue 18): ordinary cases paid in month 1's one-off
batch, and the three anomalies the one-off rules look for: one household's cases beyond
``[oneoff] household_year_cases`` (M15), a case for a public employee on the staff list
(held by the screening before the bank file: ``public_employee``), and one village's
cases filling a township's year, all added by one clerk (M17).

The cases are data here (``plan.oneoff_cases``); ``ledger.demo.run`` adds and approves
them on day 3 of their month through ``ledger.oneoff``, as `ledger oneoff add` and
`ledger oneoff approve` do. They draw from a generator of their own, so the other plants
of a seed stay as they were.
"""

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from ledger import oneoff as oneoff_service
from ledger import synth
from ledger.county import County
from ledger.db.uow import UnitOfWork
from ledger.demo.county import COUNTY_CODE
from ledger.demo.plan import Planting, person
from ledger.identity import luhn_digit
from ledger.money import parse_yuan
from ledger.oneoff import NewCase
from ledger.oneoff_rules import OneoffRules

# The demo county's [oneoff] limits are the defaults but for these (demo/county.py).
HOUSEHOLD_YEAR_CASES = 3
ORDINARY_CASES = 3
REPEATED_CASES = HOUSEHOLD_YEAR_CASES + 1
CONCENTRATED_CASES = OneoffRules.concentration_min_cases  # the default
CONCENTRATED_TOWNSHIP = "T04"


def _case(p: Planting, index: int, amount: str, reason: str, **override: Any) -> dict[str, Any]:
    """A case for roster row ``index`` (their township, village, bank and card)."""
    row = p.frame.loc[index]
    township = p.township_of[str(row["乡镇"])]
    return {
        "period": p.first,
        "id_number": str(row["身份证号"]),
        "name": str(row["姓名"]),
        "household": f"H-{township}-{str(row['身份证号'])[-6:]}",
        "category": "急难",
        "amount": amount,
        "township": township,
        "village": _village_code(p, township, str(row["村"])),
        "bank": str(row["开户银行"]),
        "account_number": _card(str(row["开户银行"]), str(row["银行账号"]), index),
        "document": f"民临救〔{p.first[:4]}〕{100 + index}号",
        "reason": reason,
        **override,
    }


def _card(bank: str, card: str, index: int) -> str:
    """The roster card, or, for a passbook number (no Luhn check digit: `oneoff add`
    takes card numbers only), a new card of the same bank."""
    if luhn_digit(card[:-1]) == card[-1]:
        return card
    rng = np.random.default_rng([index, 18])
    return str(synth.card_numbers(rng, np.array([bank], dtype=object))[0])


def _village_code(p: Planting, township: str, name: str) -> str:
    for village in p.county.townships[township].villages:
        if name in (village.name, village.code):
            return village.code
    return p.county.townships[township].villages[0].code


def plant(p: Planting) -> None:
    """The one-off cases of month 1 and their manifest entries."""
    plan, frame = p.plan, p.frame
    cases: list[dict[str, Any]] = []
    ordinary = p.pick(ORDINARY_CASES)
    reasons = ("房屋失火", "突发重病住院", "子女意外伤害")
    cases += [_case(p, i, "2000.00", reason) for i, reason in zip(ordinary, reasons, strict=True)]
    (repeated,) = p.pick(1)
    cases += [
        _case(p, repeated, "1500.00", f"医疗支出（第{n + 1}次申请）", category="支出")
        for n in range(REPEATED_CASES)
    ]
    plan.add(
        "misappropriated",
        "oneoff_repeated",
        "临时救助重复申领 / repeated one-off assistance",
        f"{REPEATED_CASES} one-off cases of 1,500.00 for one household in month 1, more "
        f"than [oneoff] household_year_cases = {HOUSEHOLD_YEAR_CASES}",
        subjects=[person(frame, repeated, cases=REPEATED_CASES)],
        month=p.first,
    )
    employee = plan.planted["public_employee"].subjects[0]
    (row,) = frame.index[frame["身份证号"] == employee["id_number"]].tolist()
    cases.append(_case(p, row, "3000.00", "家庭变故"))
    plan.add(
        "misappropriated",
        "oneoff_to_listed",
        "临时救助发给名单人员 / one-off assistance to a listed person",
        "a one-off case of 3,000.00 for a public employee on the staff list: the screening "
        "holds it at batch run (public_employee)",
        subjects=[person(frame, row)],
        month=p.first,
    )
    cases += _concentrated(p)
    plan.add(
        "misappropriated",
        "oneoff_concentrated",
        "临时救助集中于个别经办人或村 / one-off assistance concentrated",
        f"{CONCENTRATED_CASES} one-off cases in {CONCENTRATED_TOWNSHIP} in month 1, every one "
        "of them added by one clerk and in one village ([oneoff] concentration_percent 40)",
        subjects=[{"type": "township", "township": CONCENTRATED_TOWNSHIP, "period": p.first}],
        month=p.first,
    )
    plan.oneoff_cases = cases


def _concentrated(p: Planting) -> list[dict[str, Any]]:
    """New applicants (not in the roster) of one village of ``CONCENTRATED_TOWNSHIP``."""
    rng = np.random.default_rng([len(p.frame), p.months, 18])
    township = p.county.townships[CONCENTRATED_TOWNSHIP]
    village = township.villages[0].code
    taken = set(p.frame["身份证号"].astype(str))
    numbers = [
        n for n in synth.id_numbers(rng, CONCENTRATED_CASES * 2, COUNTY_CODE) if n not in taken
    ]
    names = synth.names(rng, CONCENTRATED_CASES, rare_rate=0.0)
    bank = "ICBC"
    cards = synth.card_numbers(rng, np.array([bank] * CONCENTRATED_CASES, dtype=object))
    return [
        {
            "period": p.first,
            "id_number": str(numbers[n]),
            "name": str(names[n]),
            "household": f"H-{CONCENTRATED_TOWNSHIP}-{9100 + n}",
            "category": "支出",
            "amount": "800.00",
            "township": CONCENTRATED_TOWNSHIP,
            "village": village,
            "bank": bank,
            "account_number": str(cards[n]),
            "document": f"民临救〔{p.first[:4]}〕{300 + n}号",
            "reason": "生活困难",
        }
        for n in range(CONCENTRATED_CASES)
    ]


def fen_of_period(cases: list[dict[str, Any]], period: str) -> int:
    """What the period's cases pay, in fen (the demo allocates it to the one-off program)."""
    return sum(parse_yuan(c["amount"]) for c in cases if c["period"] == period)


def add_and_approve(
    engine: Engine,
    county: County,
    cases: list[dict[str, Any]],
    period: str,
    *,
    maker: str,
    checker: str,
    at: datetime,
) -> int:
    """Add the period's cases (``maker``, civil affairs) and approve each (``checker``):
    the next `batch run` pays them in the period's one-off batch. Returns how many."""
    mine = [c for c in cases if c["period"] == period]
    for case in mine:
        with UnitOfWork(engine) as uow:
            added = oneoff_service.add_case(
                uow,
                county,
                NewCase(
                    id_number=case["id_number"],
                    name=case["name"],
                    household=case["household"],
                    category=case["category"],
                    amount=case["amount"],
                    township=case["township"],
                    village=case["village"],
                    bank=case["bank"],
                    account_number=case["account_number"],
                    documents=[case["document"]],
                    reason=case["reason"],
                    case_date=at.date(),
                ),
                operator=maker,
                now=at,
            )
        with UnitOfWork(engine) as uow:
            oneoff_service.approve_case(uow, added.id, operator=checker, now=at)
    return len(mine)
