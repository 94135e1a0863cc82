"""Fluctuation (大起大落): townships whose payments swing month over month."""

import pandas as pd

from ledger.batches import previous_period
from ledger.findings.base import Context, Rule, empty, finish, records

# What a township was paid in a period: the first instruction of each live entitlement
# of the period's regular batches (re-issues are not new money).
_TOWNSHIP_TOTALS = (
    "SELECT b.period, i.township, COUNT(DISTINCT i.recipient_id), SUM(i.amount_fen)"
    " FROM batches b JOIN payment_instructions i ON i.batch_id = b.id"
    " WHERE b.period IN ({periods}) AND b.state <> 'voided' AND b.kind = 'regular'"
    " AND i.status <> 'voided' AND i.attempt = 1"
    " GROUP BY b.period, i.township"
)


def township_totals(ctx: Context, periods: list[str]) -> pd.DataFrame:
    """Recipients and amounts per township and period (for the rule and the report)."""
    marks = ", ".join("?" for _ in periods)
    frame = ctx.frame(
        _TOWNSHIP_TOTALS.format(periods=marks),
        tuple(periods),
        ["period", "township", "recipients", "amount_fen"],
    )
    return frame.astype({"recipients": "int64", "amount_fen": "int64"})


def changes(ctx: Context, totals: pd.DataFrame, period: str) -> pd.DataFrame:
    """Per township: this period against the previous one, and whether it swings."""
    limit = ctx.threshold("fluctuation_percent")
    now = totals[totals["period"] == period].set_index("township")
    before = totals[totals["period"] == previous_period(period)].set_index("township")
    both = now.merge(before, left_index=True, right_index=True, suffixes=("", "_prev"))
    both = both[(both["recipients_prev"] > 0) & (both["amount_fen_prev"] > 0)]
    # Integer arithmetic: |change| * 100 > limit * previous, no float rounding at the edge.
    count_swing = (both["recipients"] - both["recipients_prev"]).abs() * 100 > (
        limit * both["recipients_prev"]
    )
    amount_swing = (both["amount_fen"] - both["amount_fen_prev"]).abs() * 100 > (
        limit * both["amount_fen_prev"]
    )
    both = both.assign(
        count_swing=count_swing,
        amount_swing=amount_swing,
        count_pct=(both["recipients"] - both["recipients_prev"]) * 100 / both["recipients_prev"],
        amount_pct=(both["amount_fen"] - both["amount_fen_prev"]) * 100 / both["amount_fen_prev"],
    )
    return both.reset_index()


def _fluctuation(ctx: Context) -> pd.DataFrame:
    totals = township_totals(ctx, [ctx.previous, ctx.period])
    if totals.empty:
        return empty()
    both = changes(ctx, totals, ctx.period)
    both = both[both["count_swing"] | both["amount_swing"]]
    if both.empty:
        return empty()
    limit = ctx.threshold("fluctuation_percent")
    return finish(
        both,
        subject_type="township",
        subject_id=both["township"],
        period=ctx.period,
        amount_fen=(both["amount_fen"] - both["amount_fen_prev"]).abs(),
        township=both["township"],
        severity="low",
        evidence=[
            {
                "recipients": [int(r.recipients_prev), int(r.recipients)],
                "amount_fen": [int(r.amount_fen_prev), int(r.amount_fen)],
                "periods": [ctx.previous, ctx.period],
            }
            for r in records(both)
        ],
        summary=[
            f"recipients {int(r.recipients_prev)} → {int(r.recipients)} ({r.count_pct:+.1f}%), "
            f"amount {r.amount_pct:+.1f}% against {ctx.previous} (limit ±{limit}%)"
            for r in records(both)
        ],
    )


F01 = Rule(
    id="F01",
    category="fluctuation",
    title_zh="大起大落：乡镇人数或金额环比异常波动",
    title_en="Township count or amount swinging month over month",
    data=("payment_instructions", "batches"),
    checks=(
        "Per township: recipients and amount of the period's regular batches (first "
        "attempts, not voided) against the previous period; a change of more than "
        "fluctuation_percent in either is a finding. Townships new this period are not."
    ),
    thresholds=("fluctuation_percent",),
    subject="township",
    severity="low",
    amount="the absolute change in amount",
    detect=_fluctuation,
)

RULES = (F01,)
