"""Matching funds (配套): the county's own share of a program, against what it allocated."""

from typing import Any

import pandas as pd

from ledger.findings.base import Context, Rule, empty
from ledger.findings.blocks import per_account
from ledger.funds_policy import COUNTY_SOURCE
from ledger.money import format_yuan

# Per program and source, the year's net allocations up to the day of the run:
# allocations (not carry-overs) dated in the year, less withdrawals (reversed ones).
_ALLOCATED = """
SELECT al.program, al.source, SUM(al.amount_fen) FROM allocations al
JOIN transactions t ON t.id = al.transaction_id
WHERE t.type = 'allocation' AND al.allocation_date >= ? AND al.allocation_date <= ?
GROUP BY al.program, al.source
UNION ALL
SELECT l.program, l.source, -SUM(l.amount_fen) FROM fund_lineage l
JOIN transactions t ON t.id = l.transaction_id
WHERE l.kind = 'withdrawn' AND t.effective_date >= ? AND t.effective_date <= ?
GROUP BY l.program, l.source
"""


def _short(ctx: Context) -> pd.DataFrame:
    required = ctx.county.funds.matching_bp
    if not required:
        return empty()
    start = ctx.as_of.replace(month=1, day=1)
    rows = ctx.frame(
        _ALLOCATED, (start, ctx.as_of, start, ctx.as_of), ["program", "source", "amount_fen"]
    )
    rows["amount_fen"] = rows["amount_fen"].astype("int64")
    out: list[dict[str, Any]] = []
    for program, bp in sorted(required.items()):
        mine = rows[rows["program"] == program]
        county = int(mine.loc[mine["source"] == COUNTY_SOURCE, "amount_fen"].sum())
        upper = int(mine.loc[mine["source"] != COUNTY_SOURCE, "amount_fen"].sum())
        need = -(-upper * bp // 10000)  # rounded up to the fen
        if county < need:
            out.append(
                {
                    "program": program,
                    "account": f"Assets:Treasury:{program}",
                    "upper": upper,
                    "county": county,
                    "need": need,
                    "bp": bp,
                    "amount_fen": need - county,
                }
            )
    if not out:
        return empty()
    frame = pd.DataFrame(out)
    year = ctx.as_of.year
    return per_account(
        ctx,
        frame,
        lambda r: {
            "year": year,
            "upper_allocations_fen": int(r.upper),
            "county_allocations_fen": int(r.county),
            "required_fen": int(r.need),
            "required_percent": _percent(int(r.bp)),
        },
        lambda r: (
            f"county matching funds {format_yuan(int(r.county))} of {format_yuan(int(r.need))}"
            f" yuan required ({_percent(int(r.bp))}% of"
            f" {format_yuan(int(r.upper))} from the tiers above in {year})"
        ),
        severity="medium",
    )


def _percent(bp: int) -> str:
    """Basis points as a percent with two decimals (1250 -> 12.50)."""
    return f"{bp // 100}.{bp % 100:02d}"


W06 = Rule(
    id="W06",
    category="withheld",
    title_zh="配套资金不到位：县级配套低于要求比例",
    title_en="County matching funds short of the required share",
    data=("allocations", "fund_lineage", "transactions"),
    checks=(
        "Per program with a required county share ([funds.matching] in county.toml, percent "
        "of the other sources' allocations): the county's allocations of the year up to the "
        "day of the run, net of withdrawals, against that share of the year's allocations "
        "from the tiers above (rounded up to the fen); carry-overs do not count."
    ),
    thresholds=("funds.matching",),
    subject="account",
    severity="medium",
    amount="the required county share less the county's allocations",
    detect=_short,
)

RULES = (W06,)
