"""临时救助 one-off cases as rules, no SQL: the county's ``[oneoff]`` configuration, the
reason categories, the caps and the approval rule a case is added under.

county.toml::

    [oneoff]
    program = "linshi"             # the program (in [programs]) one-off cases are paid under
    case_cap = "5000.00"           # the most one case may pay, yuan
    household_year_cap = "10000.00"  # the most one household may receive in a calendar year
    household_year_cases = 3       # finding O01: more cases than this per household and year
    concentration_percent = 40     # finding O03: one operator's or village's share of cases
    concentration_min_cases = 10   #   ... looked at once a township has this many cases

A case above ``case_cap``, or taking its household's year above ``household_year_cap``,
is refused, unless the maker asks for it to be decided by the approval band above its
own (``--over-cap``): the first ``[[approval.bands]]`` entry its amount does not reach
sets its rule, as if the amount were above it. Without a band above there is nobody to
decide it and it is refused.
"""

from dataclasses import dataclass
from typing import Any

from ledger.approval import ApprovalRules, Rule
from ledger.county_fields import section
from ledger.money import format_yuan, parse_yuan

# Stored value -> what users type and read (急难型 / 支出型 临时救助).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "emergency": ("急难", "急难型", "emergency"),
    "expenditure": ("支出", "支出型", "expenditure"),
}
CATEGORY_ZH = {"emergency": "急难型", "expenditure": "支出型"}


@dataclass(frozen=True)
class OneoffRules:
    program: str
    case_cap_fen: int
    household_year_cap_fen: int
    household_year_cases: int = 3
    concentration_percent: int = 40
    concentration_min_cases: int = 10


def parse_category(text: str) -> str:
    """The stored category for what a user typed; ``ValueError`` naming the valid ones."""
    cleaned = text.strip().casefold()
    for code, spellings in CATEGORIES.items():
        if cleaned in {s.casefold() for s in spellings}:
            return code
    valid = ", ".join(s for spellings in CATEGORIES.values() for s in spellings)
    raise ValueError(f"unknown category {text!r} (valid: {valid})")


_KEYS = (
    "program",
    "case_cap",
    "household_year_cap",
    "household_year_cases",
    "concentration_percent",
    "concentration_min_cases",
)


def parse_oneoff(raw: Any, programs: set[str], problems: list[str]) -> OneoffRules | None:
    """``[oneoff]`` of county.toml (None when absent); problems appended with their key."""
    before = len(problems)
    if section(raw, "oneoff", _KEYS, problems) is None:
        return None
    program = str(raw.get("program", ""))
    if program not in programs:
        problems.append(
            f"oneoff.program: must name a program of [programs] ({', '.join(sorted(programs))}),"
            f" got {program!r}"
        )
    caps = {}
    for key in ("case_cap", "household_year_cap"):
        text = raw.get(key)
        try:
            if not isinstance(text, str):
                raise ValueError
            caps[key] = parse_yuan(text)
            if caps[key] <= 0:
                raise ValueError
        except ValueError:
            problems.append(
                f'oneoff.{key}: must be a positive yuan amount such as "5000.00", got {text!r}'
            )
    counts = {}
    for key, default, low, high in (
        ("household_year_cases", 3, 1, 99),
        ("concentration_percent", 40, 1, 100),
        ("concentration_min_cases", 10, 1, 100_000),
    ):
        value = raw.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            problems.append(
                f"oneoff.{key}: must be a whole number from {low} to {high}, got {value!r}"
            )
            value = default
        counts[key] = value
    if len(caps) == 2 and caps["case_cap"] > caps["household_year_cap"]:
        problems.append(
            f"oneoff.case_cap: {format_yuan(caps['case_cap'])} is above household_year_cap "
            f"{format_yuan(caps['household_year_cap'])}"
        )
    if len(problems) > before:
        return None
    return OneoffRules(program, caps["case_cap"], caps["household_year_cap"], **counts)


def over_caps(rules: OneoffRules, amount_fen: int, household_year_fen: int) -> list[str]:
    """What a case of ``amount_fen`` exceeds, its household having received (or been
    granted) ``household_year_fen`` this year before it; empty when within the caps."""
    out = []
    if amount_fen > rules.case_cap_fen:
        out.append(
            f"the amount {format_yuan(amount_fen, thousands=True)} is above the cap per case "
            f"{format_yuan(rules.case_cap_fen, thousands=True)} yuan ([oneoff] case_cap)"
        )
    if household_year_fen + amount_fen > rules.household_year_cap_fen:
        out.append(
            f"the household's cases this year would come to "
            f"{format_yuan(household_year_fen + amount_fen, thousands=True)}, above the cap "
            f"{format_yuan(rules.household_year_cap_fen, thousands=True)} yuan "
            "([oneoff] household_year_cap)"
        )
    return out


def band_above(approval: ApprovalRules, amount_fen: int) -> Rule | None:
    """The rule of the first approval band the amount does not reach (as if the amount
    were above it), or None when there is no band above."""
    for band in approval.bands:
        if amount_fen <= band.above_fen:
            return approval.rule_for(band.above_fen + 1)
    return None
