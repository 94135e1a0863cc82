"""What the demo plants, as data: the plan, its manifest entries, and the planting.

``Plan`` holds everything planted (``Planted``, one per kind) and what the roster, the
reference lists and the bank do each month; ``Planting`` is the work of one
``make_plan``: the month-1 roster frame, the random generator, the people not picked
yet (every kind gets disjoint people), and what the plants of several categories share.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ledger import synth
from ledger.county import County
from ledger.demo.county import COUNTY_CODE, month_of
from ledger.errors import LedgerError
from ledger.identity import mask


@dataclass
class Planted:
    category: str
    kind: str
    title: str
    how: str
    subjects: list[dict[str, Any]] = field(default_factory=list)
    inserted_directly: bool = False
    month: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "kind": self.kind,
            "title": self.title,
            "count": len(self.subjects),
            "month": self.month,
            "inserted_directly": self.inserted_directly,
            "how": self.how,
            "subjects": self.subjects,
        }


@dataclass
class Plan:
    """Everything planted, plus what the bank and the roster do each month."""

    periods: list[str]
    planted: dict[str, Planted] = field(default_factory=dict)
    near_misses: list[dict[str, Any]] = field(default_factory=list)
    # Rows added to the roster file (duplicates, region outside county, adult orphan).
    extra_rows: pd.DataFrame | None = None
    # Issue 18's kinds (ledger.demo.plants.kinds): the categories list (分类施保) imported
    # in month 1, and an enrolment approved late, in the roster from month 2 (补发).
    categories: pd.DataFrame | None = None
    late_rows: pd.DataFrame | None = None
    # Rows the demo inserts directly (see ledger.demo.anomalies).
    unvalidated: pd.DataFrame | None = None
    deaths: pd.DataFrame | None = None
    staff: pd.DataFrame | None = None
    cadres: pd.DataFrame | None = None
    # The asset lists (房子、车子、票子), by refdata kind.
    assets: dict[str, pd.DataFrame] = field(default_factory=dict)
    # 临时救助 one-off cases (ledger.demo.plants.oneoff): what `ledger oneoff add` is given.
    oneoff_cases: list[dict[str, Any]] = field(default_factory=list)
    # Bank behaviour: account number -> the holder name the bank has on file.
    bank_holders: dict[str, str] = field(default_factory=dict)
    # period -> accounts the bank reports closed / frozen / still processing.
    closed: dict[str, set[str]] = field(default_factory=dict)
    frozen: dict[str, set[str]] = field(default_factory=dict)
    pending: dict[str, set[str]] = field(default_factory=dict)
    # period -> ID numbers of cash payees whose line the signed list leaves 待领取.
    uncollected: dict[str, set[str]] = field(default_factory=dict)
    # period -> [(kind, account, detail)] lines the bank's return tampers with.
    tampering: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    # Month-2 roster changes: exits (index -> exit date), account changes (index -> card).
    late_exits: dict[int, str] = field(default_factory=dict)
    account_changes: dict[int, str] = field(default_factory=dict)
    jump_township: str = "T05"
    idle_program: str = "disability"

    def add(self, category: str, kind: str, title: str, how: str, **extra: Any) -> Planted:
        item = Planted(category, kind, title, how, **extra)
        self.planted[kind] = item
        return item

    def manifest(self) -> dict[str, Any]:
        return {
            "periods": self.periods,
            "planted": [p.document() for p in self.planted.values()],
            "counts": {k: len(p.subjects) for k, p in self.planted.items()},
            "near_misses": self.near_misses,
        }


# Subject fields holding an ID or card number. manifest.json shows them masked (first 6
# and last 4), as every report does: the bank files are the only place for full numbers.
NUMBER_FIELDS = frozenset({"id_number", "account_number", "new_account", "reported_account"})


def masked(document: Any) -> Any:
    """``document`` (the manifest, or any part) with every ``NUMBER_FIELDS`` value masked."""
    if isinstance(document, dict):
        return {
            key: mask(value) if key in NUMBER_FIELDS and isinstance(value, str) else masked(value)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [masked(value) for value in document]
    return document


def person(frame: pd.DataFrame, index: int, **detail: Any) -> dict[str, Any]:
    """The manifest subject for roster row ``index`` of ``frame``."""
    row = frame.loc[index]
    return {
        "type": "recipient",
        "id_number": str(row["身份证号"]),
        "name": str(row["姓名"]),
        "program": str(row["救助项目"]),
        "township": str(row["乡镇"]),
        "account_number": str(row["银行账号"]),
        **detail,
    }


def day(period: str, number: int) -> str:
    return f"{period}-{number:02d}"


class Planting:
    """One ``make_plan``: the plan being filled, the month-1 roster ``frame`` (the plants
    edit its rows: shared cards, holders), and people picked in a random order that
    depends on the seed only. The plants run in a fixed order; each pick and each draw
    of ``rng`` keeps its place, so a seed plants the same people."""

    def __init__(
        self, county: County, frame: pd.DataFrame, periods: list[str], rng: np.random.Generator
    ) -> None:
        self.county = county
        self.frame = frame
        self.plan = Plan(periods)
        self.rng = rng
        self.first, self.months = periods[0], len(periods)
        self.before = month_of(self.first, -1)
        self._order = iter(rng.permutation(len(frame)).tolist())
        self.township_of = {t.name: code for code, t in county.townships.items()}
        # Rows added to every month's roster file (plan.extra_rows at the end).
        self.extra: list[pd.DataFrame] = []
        # The staff list's rows (ID, name, employer, salary accounts): public employees
        # (misappropriated) and staff whose card a recipient is paid to (diverted).
        self.staff_rows: list[tuple[Any, ...]] = []

    def person(self, index: int, **detail: Any) -> dict[str, Any]:
        return person(self.frame, index, **detail)

    def pick(
        self, k: int, bank: str | None = None, not_bank: str | None = None, started_before: str = ""
    ) -> list[int]:
        """``k`` roster rows not picked before (outside the jumping township, whose count
        stays clean), of ``bank`` or not of ``not_bank``, started before a month."""
        frame = self.frame
        out: list[int] = []
        while len(out) < k:
            i = next(self._order, None)
            if i is None:
                raise LedgerError(
                    f"a county of {len(frame)} recipients is too small to plant every kind "
                    "of anomaly; use --recipients 150 or more"
                )
            row = frame.loc[i]
            if (
                self.township_of[row["乡镇"]] == self.plan.jump_township
                or (bank and row["开户银行"] != bank)
                or (not_bank and row["开户银行"] == not_bank)
                or (started_before and row["起始月份"] >= started_before)
            ):
                continue
            out.append(i)
        return out

    def newcomer(self, adult_before: int | None = None) -> pd.DataFrame:
        """A row of someone new (fresh ID, name and card), shaped like a roster row."""
        frame, rng = self.frame, self.rng
        row = frame.loc[self.pick(1)].copy()
        while True:
            number = str(synth.id_numbers(rng, 1, COUNTY_CODE)[0])
            if number not in set(frame["身份证号"]) and (
                adult_before is None or int(number[6:10]) < adult_before
            ):
                break
        row["身份证号"] = number
        row["姓名"] = synth.names(rng, 1, rare_rate=0.0)
        row["账户户名"] = row["姓名"]
        row["性别"] = "男" if int(number[16]) % 2 else "女"
        row["银行账号"] = synth.card_numbers(rng, row["开户银行"].to_numpy(dtype=object))
        return row
