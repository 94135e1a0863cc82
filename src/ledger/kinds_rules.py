"""county.toml ``[[supplements]]`` (分类施保) and ``[deductions]`` (扣减): parsing and the
integer arithmetic both use (docs/supplements.md, docs/deductions.md).

A supplement adds, for every recipient whose program's roster category matches, either
a fixed amount (``amount = "50.00"`` yuan) or a share of the month's regular amount in
basis points (``percent_bp = 1000``: 10 %). A share is rounded half up to the fen:
``(base * bp + 5000) // 10000``; a share that rounds to 0 fen pays nothing.

A deduction takes at most ``max_share_bp`` (basis points, 1-9999: never the whole
payment) of the month's regular payment, rounded down to the fen, and at most
``max_fen`` when set; so the net payment is always at least 1 fen.
"""

import re
from dataclasses import dataclass
from typing import Any

from ledger.county_fields import section, unknown_keys
from ledger.money import parse_yuan

_CODE = re.compile(r"[A-Za-z0-9_]{1,16}")
_CATEGORY = re.compile(r"[A-Za-z0-9_]{1,32}")
_SUPPLEMENT_KEYS = ("code", "name_zh", "name_en", "category", "programs", "amount", "percent_bp")
_DEDUCTION_KEYS = ("max_share_bp", "max_fen")
DEFAULT_MAX_SHARE_BP = 3000


@dataclass(frozen=True)
class Supplement:
    code: str
    name_zh: str
    name_en: str
    category: str  # the roster category value (recipient_categories.category)
    programs: tuple[str, ...]
    fixed_fen: int | None  # exactly one of fixed_fen and percent_bp is set
    percent_bp: int | None

    def amount_for(self, base_fen: int) -> int:
        """The supplement for a month whose regular amount is ``base_fen``."""
        if self.fixed_fen is not None:
            return self.fixed_fen
        assert self.percent_bp is not None
        return share_half_up(base_fen, self.percent_bp)


@dataclass(frozen=True)
class DeductionRules:
    max_share_bp: int = DEFAULT_MAX_SHARE_BP
    max_fen: int | None = None

    def ceiling(self, gross_fen: int) -> int:
        """The most a month's payment of ``gross_fen`` may lose to deductions."""
        share = gross_fen * self.max_share_bp // 10000
        return share if self.max_fen is None else min(share, self.max_fen)


def share_half_up(base_fen: int, bp: int) -> int:
    return (base_fen * bp + 5000) // 10000


def deduction_split(gross_fen: int, wanted_fen: int, rules: DeductionRules) -> tuple[int, int]:
    """(deduction, net) of a payment of ``gross_fen`` > 0 when ``wanted_fen`` >= 0 is
    still to recover: the deduction is capped by the ceiling; net = gross - deduction."""
    deduction = max(0, min(wanted_fen, rules.ceiling(gross_fen)))
    return deduction, gross_fen - deduction


def parse_supplements(raw: Any, programs: set[str], problems: list[str]) -> tuple[Supplement, ...]:
    """``[[supplements]]``: problems appended naming ``supplements[i].key``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append("supplements: must be an array of tables ([[supplements]])")
        return ()
    out: list[Supplement] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"supplements[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        before = len(problems)
        unknown_keys(item, where, _SUPPLEMENT_KEYS, problems)
        code = item.get("code")
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            problems.append(f"{where}.code: 1-16 letters, digits or _, got {code!r}")
        elif code in seen:
            problems.append(f"{where}.code: {code!r} is used by another supplement")
        else:
            seen.add(code)
        name_zh = item.get("name_zh")
        if not isinstance(name_zh, str) or not name_zh.strip():
            problems.append(f"{where}.name_zh: the supplement's Chinese name is required")
        name_en = item.get("name_en", code)
        category = item.get("category")
        if not isinstance(category, str) or not _CATEGORY.fullmatch(category):
            problems.append(
                f"{where}.category: the roster category, 1-32 letters, digits or _, "
                f"got {category!r}"
            )
        names = item.get("programs")
        if not isinstance(names, list) or not names:
            problems.append(f"{where}.programs: a non-empty list of program codes")
            names = []
        for name in names:
            if name not in programs:
                problems.append(
                    f"{where}.programs: unknown program {name!r} "
                    f"(known: {', '.join(sorted(programs))})"
                )
        fixed = percent = None
        if ("amount" in item) == ("percent_bp" in item):
            problems.append(
                f"{where}: give exactly one of amount (fixed yuan) and percent_bp "
                "(basis points of the regular amount)"
            )
        elif "amount" in item:
            text = item["amount"]
            try:
                fixed = parse_yuan(str(text), signed=True)
            except ValueError as error:
                problems.append(f"{where}.amount: {error}")
            else:
                if fixed <= 0:
                    problems.append(f"{where}.amount: must be more than 0, got {text!r}")
        else:
            percent = item["percent_bp"]
            if (
                not isinstance(percent, int)
                or isinstance(percent, bool)
                or not 1 <= percent <= 10000
            ):
                problems.append(
                    f"{where}.percent_bp: a whole number of basis points from 1 to 10000 "
                    f"(10000 = 100 %), got {percent!r}"
                )
        if len(problems) == before:
            out.append(
                Supplement(
                    code=str(code),
                    name_zh=str(name_zh).strip(),
                    name_en=str(name_en),
                    category=str(category),
                    programs=tuple(str(n) for n in names),
                    fixed_fen=fixed,
                    percent_bp=percent,
                )
            )
    return tuple(out)


def parse_deductions(raw: Any, problems: list[str]) -> DeductionRules:
    """``[deductions]``: the per-month ceiling."""
    if section(raw, "deductions", _DEDUCTION_KEYS, problems) is None:
        return DeductionRules()
    share = raw.get("max_share_bp", DEFAULT_MAX_SHARE_BP)
    if not isinstance(share, int) or isinstance(share, bool) or not 1 <= share <= 9999:
        problems.append(
            "deductions.max_share_bp: a whole number of basis points from 1 to 9999 "
            f"(a deduction never takes the whole payment), got {share!r}"
        )
        share = DEFAULT_MAX_SHARE_BP
    max_fen = None
    if "max_fen" in raw:
        value = raw["max_fen"]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(f"deductions.max_fen: a whole number of fen > 0, got {value!r}")
        else:
            max_fen = value
    return DeductionRules(share, max_fen)
