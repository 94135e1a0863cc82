"""Withheld funds, part two (W04): allocated money lying idle in the special account.
``withheld.RULES`` lists it with the others."""

from datetime import date
from typing import Any

import pandas as pd

from ledger.findings.base import Context, Rule, as_dates, empty, ids_list, records
from ledger.findings.blocks import per_account


def _idle(ctx: Context) -> pd.DataFrame:
    rows = ctx.frame(
        "SELECT a.program, a.name, t.id, t.type, t.effective_date, p.amount_fen"
        " FROM postings p JOIN accounts a ON a.id = p.account_id"
        " JOIN transactions t ON t.id = p.transaction_id"
        " WHERE a.name LIKE 'Assets:Treasury:%' AND t.effective_date <= ?",
        (ctx.as_of,),
        ["program", "account", "transaction_id", "type", "day", "amount_fen"],
    )
    if rows.empty:
        return empty()
    limit = ctx.threshold("idle_funds_days")
    rows["day"] = as_dates(rows["day"])
    cutoff = pd.Timestamp(ctx.as_of) - pd.Timedelta(days=limit)
    inflow = rows[(rows["type"] == "allocation") & (rows["amount_fen"] > 0)]
    old = inflow[inflow["day"] < cutoff]
    spent = rows[rows["amount_fen"] < 0].groupby("program")["amount_fen"].sum().abs()
    balance = rows.groupby("program")["amount_fen"].sum()
    by_source = _idle_by_source(ctx, cutoff.date())
    out: list[dict[str, Any]] = []
    for program, allocations in old.groupby("program"):
        if str(program) in by_source:
            # The fund lineage knows which allocations are untouched (money the banks
            # sent back went back to the allocations it came from).
            idle = sum(item["idle_fen"] for item in by_source[str(program)])
        else:
            # First in, first out: spending uses the oldest money first.
            idle = int(allocations["amount_fen"].sum()) - int(spent.get(program, 0))
        idle = min(idle, int(balance.get(program, 0)))
        if idle > 0:
            out.append(
                {
                    "program": program,
                    "account": allocations["account"].iloc[0],
                    "amount_fen": idle,
                    "transaction_ids": ids_list(allocations["transaction_id"]),
                    "oldest": allocations["day"].min().date().isoformat(),
                }
            )
    frame = pd.DataFrame(out)
    if frame.empty:
        return empty()
    return per_account(
        ctx,
        frame,
        lambda r: {
            "transaction_ids": r.transaction_ids,
            "oldest_allocation": r.oldest,
            "idle_by_source": by_source.get(r.program, []),
        },
        lambda r: f"allocated funds unspent more than {limit} days (oldest allocation {r.oldest})",
        severity="medium",
    )


def _idle_by_source(ctx: Context, cutoff: date) -> dict[str, list[dict[str, Any]]]:
    """Per program, the allocations older than the cutoff with money left on the day of
    the run by their fund lineage (docs/funds.md): source, document, date, age, amount."""
    rows = ctx.frame(
        "SELECT al.program, al.transaction_id, al.source, al.doc_number, al.allocation_date,"
        " al.amount_fen - COALESCE((SELECT SUM(l.amount_fen) FROM fund_lineage l"
        "   JOIN transactions t ON t.id = l.transaction_id"
        "   WHERE l.allocation_id = al.transaction_id AND t.effective_date <= ?), 0)"
        " FROM allocations al WHERE al.allocation_date < ?"
        " ORDER BY al.program, al.allocation_date, al.transaction_id",
        (ctx.as_of, cutoff),
        ["program", "allocation_id", "source", "doc", "day", "idle_fen"],
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in records(rows):
        if int(r.idle_fen) <= 0:
            continue
        day = r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day)[:10])
        out.setdefault(str(r.program), []).append(
            {
                "source": str(r.source),
                "allocation_id": int(r.allocation_id),
                "doc": str(r.doc),
                "date": day.isoformat(),
                "age_days": (ctx.as_of - day).days,
                "idle_fen": int(r.idle_fen),
            }
        )
    return out


W04 = Rule(
    id="W04",
    category="withheld",
    title_zh="资金闲置：拨付后长期未使用",
    title_en="Treasury funds idle beyond N days of allocation",
    data=("postings", "accounts", "transactions", "allocations", "fund_lineage"),
    checks=(
        "Per program, allocations recorded more than idle_funds_days before the day of the "
        "run, less everything the special account has paid out since (first in, first out), "
        "still lying in Assets:Treasury:{program}. Where the fund lineage records the "
        "program's allocations, the idle amount is what their lineage leaves in those older "
        "allocations (capped by the treasury balance), listed per source with each "
        "allocation's age in days."
    ),
    thresholds=("idle_funds_days",),
    subject="account",
    severity="medium",
    amount="the idle part of the treasury balance",
    detect=_idle,
)
