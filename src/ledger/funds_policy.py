"""How disbursements draw on allocations, and the ``[funds]`` county settings.

Pure Python over a handful of numbers (a program's allocations, not its payments): the
draw of a batch's total is split here; the database applies it per batch (see
``ledger.db.fund_lineage`` and docs/ledger.md "Fund lineage").

``[funds]`` in county.toml::

    [funds]
    lineage = "fifo"            # or "proportional"
    required_pace = "100"       # percent of the elapsed time of the year (序时进度)
    [funds.year_end]            # per source: "carry" (结转, default) or "return" (上缴)
    municipal = "return"
    [funds.matching]            # county share required, percent of the other sources
    dibao_rural = "25"
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.county_fields import section

LINEAGES = ("fifo", "proportional")
YEAR_END = ("carry", "return")
COUNTY_SOURCE = "county"
ADVANCE = "unallocated"


@dataclass(frozen=True)
class FundsConfig:
    lineage: str = "fifo"
    # Basis points (1/100 of a percent): 10000 = progress must keep up with the time.
    required_pace_bp: int = 10000
    year_end: dict[str, str] = field(default_factory=dict)
    # Program -> county share required, in basis points of the other sources' allocations.
    matching_bp: dict[str, int] = field(default_factory=dict)

    def year_end_of(self, source: str) -> str:
        return self.year_end.get(source, "carry")


@dataclass(frozen=True)
class Remaining:
    """An allocation with money left: the unit a draw takes from."""

    allocation_id: int
    source: str
    amount_fen: int


@dataclass(frozen=True)
class Draw:
    allocation_id: int | None  # None: an advance, no allocation covered it
    source: str
    amount_fen: int


def _percent_bp(value: Any, where: str, problems: list[str]) -> int | None:
    """ "25" or "12.5" (percent, at most 2 decimals) as basis points."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal(-1)
    if isinstance(value, bool) or not number.is_finite() or not 0 <= number <= 1000:
        problems.append(f"{where}: must be a percent from 0 to 1000 as text, got {value!r}")
        return None
    bp = number * 100
    if bp != bp.to_integral_value():
        problems.append(f"{where}: at most 2 decimals, got {value!r}")
        return None
    return int(bp)


def parse_funds(
    raw: Any, sources: Mapping[str, str], programs: Sequence[str], problems: list[str]
) -> FundsConfig:
    """The ``[funds]`` table, every problem named by its key."""
    known = sorted({"lineage", "required_pace", "year_end", "matching"})
    if section(raw, "funds", known, problems, word="setting") is None:
        return FundsConfig()
    lineage = raw.get("lineage", "fifo")
    if lineage not in LINEAGES:
        problems.append(f"funds.lineage: must be one of {', '.join(LINEAGES)}, got {lineage!r}")
        lineage = "fifo"
    pace = _percent_bp(raw.get("required_pace", "100"), "funds.required_pace", problems)
    year_end: dict[str, str] = {}
    table = raw.get("year_end", {})
    if not isinstance(table, dict):
        problems.append('funds.year_end: must be a table of source = "carry" | "return"')
        table = {}
    for source, value in table.items():
        if source not in sources:
            problems.append(f"funds.year_end.{source}: unknown fund source")
        elif value not in YEAR_END:
            problems.append(f'funds.year_end.{source}: must be "carry" or "return"')
        else:
            year_end[source] = value
    matching: dict[str, int] = {}
    table = raw.get("matching", {})
    if not isinstance(table, dict):
        problems.append('funds.matching: must be a table of program = "percent"')
        table = {}
    for program, value in table.items():
        if program not in programs:
            problems.append(f"funds.matching.{program}: unknown program")
            continue
        bp = _percent_bp(value, f"funds.matching.{program}", problems)
        if bp is not None:
            matching[program] = bp
    if matching and COUNTY_SOURCE not in sources:
        problems.append(f"funds.matching: needs the fund source {COUNTY_SOURCE!r} in [sources]")
    return FundsConfig(
        lineage=lineage,
        required_pace_bp=10000 if pace is None else pace,
        year_end=year_end,
        matching_bp=matching,
    )


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` fen in proportion to ``weights`` (>= 0, not all 0 unless total is
    0): floors first, then one fen each to the largest fractional parts (earlier wins a
    tie). The parts sum to ``total`` exactly; with total <= sum(weights), no part
    exceeds its weight."""
    whole = sum(weights)
    if total == 0:
        return [0] * len(weights)
    if whole <= 0:
        raise ValueError("no weight to split by")
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def fifo(need: int, remaining: Sequence[Remaining]) -> list[Draw]:
    """Take ``need`` fen from the allocations in the given order (oldest first)."""
    draws: list[Draw] = []
    for item in remaining:
        if need <= 0:
            break
        take = min(need, item.amount_fen)
        if take > 0:
            draws.append(Draw(item.allocation_id, item.source, take))
            need -= take
    return draws


def split(
    need: int, remaining: Sequence[Remaining], policy: str, source_order: Sequence[str]
) -> list[Draw]:
    """The draws that cover ``need`` fen by ``policy``; what the allocations cannot
    cover is one ``advance`` draw. ``remaining`` is oldest first."""
    if need <= 0:
        return []
    available = sum(r.amount_fen for r in remaining)
    covered = min(need, available)
    if policy == "fifo":
        draws = fifo(covered, remaining)
    else:
        rank = {s: i for i, s in enumerate(source_order)}
        sources = sorted({r.source for r in remaining}, key=lambda s: (rank.get(s, len(rank)), s))
        weights = [sum(r.amount_fen for r in remaining if r.source == s) for s in sources]
        shares = largest_remainder(covered, weights)
        draws = []
        for source, share in zip(sources, shares, strict=True):
            draws += fifo(share, [r for r in remaining if r.source == source])
    if need > covered:
        draws.append(Draw(None, ADVANCE, need - covered))
    return draws
