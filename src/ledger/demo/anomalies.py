"""Planted anomalies: every rule category of DESIGN §6, in known numbers, in a manifest.

``make_plan(...)`` picks disjoint people from the month-1 roster for each kind and says
what to do to them; ``apply_month(...)`` writes that into the roster of a month; the bank
(``ledger.demo.bank``) plays the planted return-file lines; the manifest
(``manifest.json`` in the demo directory) records per category and kind how many were
planted, which subjects, how, and which month. The findings rules must find each of
them; the demo compares planted with found.

Where each part lives:

- ``ledger.demo.catalogue``: the kinds, how many of each, their rule and hold reason;
- ``ledger.demo.plan``: ``Plan`` (with its manifest), ``Planted``, ``masked``, and
  ``Planting`` (the picking of disjoint people, in an order fixed by the seed);
- ``ledger.demo.plants``: the plants by category: ``misappropriated`` (deceased, late
  exits, duplicates, identities, caps, age, staff and cadres), ``assets``, ``diverted``
  (holders, shared cards, staff cards, tampered returns), ``withheld`` (clearing,
  failures not followed up, idle funds, the township jump, ordinary failures);
- ``ledger.demo.legacy_records``: ``insert_unvalidated``, the rows the import refuses
  (a wrong check character, an impossible birth date, an amount above the cap), entered
  directly as records from before the validation (``"inserted_directly": true``).
"""

import numpy as np
import pandas as pd

from ledger.county import County
from ledger.demo.catalogue import (
    CLOSED_PER_MONTH,
    COUNTS,
    FROZEN_PER_MONTH,
    HOLD_OF_KIND,
    NEGLECTED_BANK,
    RULE_OF_KIND,
)
from ledger.demo.county import Roster
from ledger.demo.legacy_records import insert_unvalidated
from ledger.demo.plan import NUMBER_FIELDS, Plan, Planted, Planting, masked, person
from ledger.demo.plants import diverted, kinds, misappropriated, oneoff, withheld
from ledger.demo.plants.assets import plant_assets

__all__ = [
    "CLOSED_PER_MONTH",
    "COUNTS",
    "FROZEN_PER_MONTH",
    "HOLD_OF_KIND",
    "NEGLECTED_BANK",
    "NUMBER_FIELDS",
    "RULE_OF_KIND",
    "Plan",
    "Planted",
    "apply_month",
    "insert_unvalidated",
    "make_plan",
    "masked",
    "new_people_frame",
]


def make_plan(county: County, roster: Roster, periods: list[str], rng: np.random.Generator) -> Plan:
    """Choose the planted subjects (disjoint people) and record the manifest entries.

    The plants run in this order, each picking its people and drawing from ``rng`` in
    turn: the same seed plants the same people."""
    planting = Planting(county, roster.frame, periods, rng)
    changed, new_cards = misappropriated.plant(planting)
    diverted.plant(planting, changed, new_cards)
    neglected = withheld.plant(planting)
    plant_assets(planting.plan, planting.frame, planting.pick, rng, person)
    # Before the ordinary failures, which pick per month: month 1 is the same for a seed.
    withheld.plant_cash(planting)
    kinds.plant(planting)
    withheld.plant_ordinary_failures(planting, neglected)
    oneoff.plant(planting)  # last: it draws from a generator of its own
    planting.plan.extra_rows = pd.concat(planting.extra)
    return planting.plan


def apply_month(
    county: County, roster: Roster, plan: Plan, k: int, rng: np.random.Generator
) -> pd.DataFrame:
    """The roster file for month ``k`` (0-based): the base roster, the planted rows, and
    from month 2 on the changes: late exits, new cards, the jumping township (month 2),
    and a little ordinary churn (newcomers and amount changes, 1% each, month 3 on)."""
    period = plan.periods[k]
    if k == 1:
        tw = county.townships[plan.jump_township]
        size = int((roster.frame["乡镇"] == tw.name).sum())
        jump = new_people_frame(county, roster, size // 2 + 1, rng, period, plan.jump_township)
        roster.frame = pd.concat([roster.frame, jump], ignore_index=True)
    elif k >= 2:
        n = max(1, len(roster.frame) // 100)
        protected = set(plan.late_exits) | set(plan.account_changes)
        candidates = [i for i in roster.frame.index if i not in protected]
        changed = rng.choice(candidates, size=n, replace=False)
        fen = roster.frame.loc[changed, "月发放金额(元)"].str.replace(".", "").astype("int64")
        roster.frame.loc[changed, "月发放金额(元)"] = [
            f"{v // 100}.{v % 100:02d}" for v in np.maximum(fen - 5000, 10000)
        ]
        for code in county.townships:
            if code != plan.jump_township:
                more = new_people_frame(county, roster, max(1, n // 6), rng, period, code)
                roster.frame = pd.concat([roster.frame, more], ignore_index=True)
    frame = pd.concat([roster.frame, plan.extra_rows])
    if k >= 1 and plan.late_rows is not None:  # approved late, from month 1 (补发)
        frame = pd.concat([frame, plan.late_rows])
    if k >= 1:
        for i, day in plan.late_exits.items():
            frame.loc[i, "状态"] = "退出"
            frame.loc[i, "退出日期"] = day
            frame.loc[i, "终止月份"] = day[:7]
        for i, card in plan.account_changes.items():
            frame.loc[i, "银行账号"] = card
    return frame.reset_index(drop=True)


def new_people_frame(
    county: County,
    roster: Roster,
    n: int,
    rng: np.random.Generator,
    period: str,
    township: str,
) -> pd.DataFrame:
    from ledger.demo.county import new_people

    known = set(roster.frame["身份证号"])
    template = roster.frame[roster.frame["开户银行"] != "RCC"]
    return new_people(county, template, n, rng, period, known, township)
