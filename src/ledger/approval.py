"""Approval rules: how many distinct checkers a batch needs, by its amount (N of M).

county.toml ``[[approval.bands]]``: a batch whose total is *above* a band's amount needs
that band's number of distinct finance checkers, and with ``other_department = true``
one of them from a department other than the maker's. Where several bands apply, the
strictest count and any department condition hold. Without bands: one checker.

The rule is fixed on the batch when it is created (``batches.approvals_required``,
``approvals_other_department``); the database refuses to approve a batch whose recorded
approvals do not meet it.
"""

from dataclasses import dataclass, field
from typing import Any

from ledger.county_fields import section, unknown_keys
from ledger.money import format_yuan, parse_yuan


@dataclass(frozen=True)
class Band:
    above_fen: int
    checkers: int
    other_department: bool = False


@dataclass(frozen=True)
class Rule:
    checkers: int
    other_department: bool

    def describe(self) -> str:
        who = f"{self.checkers} distinct checker(s)"
        return who + (", one of another department" if self.other_department else "")


ONE_CHECKER = Rule(1, False)


@dataclass(frozen=True)
class ApprovalRules:
    bands: tuple[Band, ...] = field(default_factory=tuple)

    def rule_for(self, amount_fen: int) -> Rule:
        applying = [b for b in self.bands if amount_fen > b.above_fen]
        return Rule(
            checkers=max([1] + [b.checkers for b in applying]),
            other_department=any(b.other_department for b in applying),
        )


def parse_rules(raw: Any, problems: list[str]) -> ApprovalRules:
    """``[approval]`` of county.toml; every problem is appended with its key."""
    if section(raw, "approval", ("bands",), problems) is None:
        return ApprovalRules()
    items = raw.get("bands", [])
    if not isinstance(items, list):
        problems.append("approval.bands: must be a list of tables ([[approval.bands]])")
        return ApprovalRules()
    bands: list[Band] = []
    for index, item in enumerate(items):
        where = f"approval.bands[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        text = str(item.get("above", ""))
        try:
            above = parse_yuan(text)
            if above < 0:
                raise ValueError
        except ValueError:
            problems.append(
                f'{where}.above: must be a yuan amount such as "1000000.00", got {text!r}'
            )
            continue
        checkers = item.get("checkers")
        if not isinstance(checkers, int) or isinstance(checkers, bool) or not 1 <= checkers <= 9:
            problems.append(
                f"{where}.checkers: must be a whole number from 1 to 9, got {checkers!r}"
            )
            continue
        other = item.get("other_department", False)
        if not isinstance(other, bool):
            problems.append(f"{where}.other_department: must be true or false, got {other!r}")
            continue
        unknown_keys(item, where, ("above", "checkers", "other_department"), problems)
        if any(b.above_fen == above for b in bands):
            problems.append(f"{where}.above: {format_yuan(above)} is listed twice")
            continue
        bands.append(Band(above, checkers, other))
    return ApprovalRules(tuple(sorted(bands, key=lambda b: b.above_fen)))
