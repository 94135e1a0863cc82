"""Withheld funds (截留/滞留): money owed to recipients that does not reach them."""

from datetime import date
from typing import Any

import pandas as pd

from ledger.findings.base import (
    Context,
    Rule,
    as_dates,
    empty,
    finish,
    group_payments,
    ids_list,
    period_end,
    records,
)
from ledger.findings.blocks import per_instruction
from ledger.money import format_yuan


def _unpaid(ctx: Context) -> pd.DataFrame:
    rows = ctx.frame(
        "SELECT i.id, i.recipient_id, r.key, e.period, e.program, e.township, e.amount_fen,"
        " b.id, b.state, b.period FROM batches b"
        " JOIN payment_instructions i ON i.batch_id = b.id"
        " JOIN entitlements e ON e.id = i.entitlement_id"
        " JOIN recipients r ON r.id = i.recipient_id"
        " WHERE b.period <= ? AND b.state IN ('draft', 'approved')"
        " AND i.status = 'pending' AND e.status = 'open'",
        (ctx.period,),
        [
            "instruction_id",
            "recipient_id",
            "key",
            "period",
            "program",
            "township",
            "amount_fen",
            "batch_id",
            "state",
            "due",
        ],
    )
    if rows.empty:
        return empty()
    limit = ctx.threshold("unpaid_days")
    # Due with the batch's period: back pay (补发) dated to an earlier month is due with
    # the batch that carries it (for any other entitlement both periods are the same).
    ends = {p: pd.Timestamp(period_end(p)) for p in rows["due"].unique()}
    overdue = (pd.Timestamp(ctx.as_of) - rows["due"].map(ends)).dt.days > limit
    rows = rows[overdue]
    return per_instruction(
        rows,
        lambda r: {"batch_id": int(r.batch_id), "batch_state": r.state},
        lambda r: (
            f"entitlement for {r.period} not sent to the bank more than {limit} days after the"
            f" period (batch {r.batch_id} is {r.state})"
        ),
    )


W01 = Rule(
    id="W01",
    category="withheld",
    title_zh="应发未发：期末后逾期未发放",
    title_en="Entitlement not paid N days after its period",
    data=("entitlements", "payment_instructions", "batches"),
    checks=(
        "An open entitlement of the period or earlier whose instruction is still pending in "
        "a batch that was never exported (draft or approved) more than unpaid_days after the "
        "end of its period."
    ),
    thresholds=("unpaid_days",),
    amount="the entitlement's amount",
    detect=_unpaid,
)


def _clearing(ctx: Context) -> pd.DataFrame:
    rows = ctx.frame(
        "SELECT b.id, b.period, b.program, b.bank, b.exported_at, b.funding_transaction_id,"
        " b.file_name, i.id, i.amount_fen FROM batches b"
        " JOIN payment_instructions i ON i.batch_id = b.id"
        " WHERE b.period <= ? AND b.state IN ('exported', 'partially_reconciled')"
        " AND i.status = 'pending'",
        (ctx.period,),
        [
            "batch_id",
            "period",
            "program",
            "bank",
            "exported_at",
            "funding_transaction_id",
            "file_name",
            "instruction_id",
            "amount_fen",
        ],
    )
    if rows.empty:
        return empty()
    limit = ctx.threshold("clearing_days")
    age = (pd.Timestamp(ctx.as_of) - as_dates(rows["exported_at"])).dt.days
    rows = rows.assign(age=age)[age > limit]
    groups = group_payments(
        rows,
        ["batch_id", "period", "program", "bank", "funding_transaction_id", "file_name"],
        extra={"age": ("age", "max")},
    )
    return finish(
        groups,
        subject_type="batch",
        subject_id=groups["batch_id"],
        period=groups["period"],
        amount_fen=groups["amount_fen"],
        program=groups["program"],
        evidence=[
            {
                "batch_id": int(g.batch_id),
                "transaction_ids": [int(g.funding_transaction_id)],
                "file": g.file_name,
                "instruction_ids": g.instruction_ids,
                "instruction_count": int(g.instruction_count),
            }
            for g in records(groups)
        ],
        summary=[
            f"{int(g.instruction_count)} payment(s) at {g.bank} unconfirmed {int(g.age)} days "
            f"after export (limit {limit})"
            for g in records(groups)
        ],
    )


W02 = Rule(
    id="W02",
    category="withheld",
    title_zh="资金滞留银行：清算逾期未结",
    title_en="Clearing at the bank unresolved after N days",
    data=("batches", "payment_instructions"),
    checks=(
        "Instructions still pending in an exported batch more than clearing_days after the "
        "export: the money left the special account but no bank confirmed or rejected it."
    ),
    thresholds=("clearing_days",),
    subject="batch",
    amount="the sum of the batch's unconfirmed instructions",
    detect=_clearing,
)


def _failed(ctx: Context) -> pd.DataFrame:
    rows = ctx.frame(
        "SELECT i.id, i.recipient_id, r.key, b.period, b.program, i.township, i.amount_fen,"
        " i.failed_at, i.reason_code, b.id FROM batches b"
        " JOIN payment_instructions i ON i.batch_id = b.id"
        " JOIN recipients r ON r.id = i.recipient_id"
        " WHERE b.period <= ? AND i.status = 'failed'",
        (ctx.period,),
        [
            "instruction_id",
            "recipient_id",
            "key",
            "period",
            "program",
            "township",
            "amount_fen",
            "failed_at",
            "reason_code",
            "batch_id",
        ],
    )
    if rows.empty:
        return empty()
    limit = ctx.threshold("failed_followup_days")
    age = (pd.Timestamp(ctx.as_of) - as_dates(rows["failed_at"])).dt.days
    rows = rows.assign(age=age)[age > limit]
    return per_instruction(
        rows,
        lambda r: {"batch_id": int(r.batch_id), "reason_code": r.reason_code},
        lambda r: (
            f"payment failed ({r.reason_code or 'no reason'}) {int(r.age)} days ago, neither"
            f" re-issued nor cancelled (limit {limit})"
        ),
        severity="medium",
    )


W03 = Rule(
    id="W03",
    category="withheld",
    title_zh="发放失败未跟进：既未重发也未取消",
    title_en="Failed payment neither re-issued nor cancelled",
    data=("payment_instructions", "batches"),
    checks=(
        "An instruction the bank reported failed that is still 'failed' (no re-issue, no "
        "cancellation) more than failed_followup_days after the failure."
    ),
    thresholds=("failed_followup_days",),
    severity="medium",
    amount="the failed instruction's amount",
    detect=_failed,
)


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
    return finish(
        frame,
        subject_type="account",
        subject_id=frame["account"],
        period=ctx.period,
        amount_fen=frame["amount_fen"],
        program=frame["program"],
        severity="medium",
        evidence=[
            {
                "transaction_ids": r["transaction_ids"],
                "oldest_allocation": r["oldest"],
                "idle_by_source": by_source.get(r["program"], []),
            }
            for r in out
        ],
        summary=[
            f"allocated funds unspent more than {limit} days (oldest allocation {r['oldest']})"
            for r in out
        ],
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


def _short(ctx: Context) -> pd.DataFrame:
    # Aggregated in the database: only short entitlements come back.
    paid = ctx.frame(
        "SELECT e.id, e.recipient_id, r.key, e.amount_fen,"
        " SUM(COALESCE(o.amount_fen, i.amount_fen)), b.program, e.township, MIN(i.id),"
        " MAX(o.return_file_id), MAX(o.line)"
        " FROM batches b JOIN payment_instructions i ON i.batch_id = b.id"
        " JOIN entitlements e ON e.id = i.entitlement_id"
        " JOIN recipients r ON r.id = i.recipient_id"
        " LEFT JOIN instruction_outcomes o ON o.instruction_id = i.id AND o.outcome = 'settled'"
        " WHERE b.period = ? AND b.state <> 'voided' AND i.status = 'settled'"
        " GROUP BY e.id, e.recipient_id, r.key, e.amount_fen, b.program, e.township"
        # A 扣减 deduction is not a shortfall: the net is what is owed in cash.
        " HAVING SUM(COALESCE(o.amount_fen, i.amount_fen)) < e.amount_fen"
        " - COALESCE((SELECT d.amount_fen FROM deductions d WHERE d.entitlement_id = e.id), 0)",
        (ctx.period,),
        [
            "entitlement_id",
            "recipient_id",
            "key",
            "entitled",
            "paid",
            "program",
            "township",
            "instruction_id",
            "file_id",
            "line",
        ],
    )
    paid["instruction_ids"] = [[int(i)] for i in paid["instruction_id"]]
    mismatches = ctx.frame(
        "SELECT i.id, i.recipient_id, r.key, i.entitlement_id, i.amount_fen, x.amount_fen,"
        " x.return_file_id, x.line, b.program, i.township"
        " FROM reconciliation_exceptions x JOIN payment_instructions i ON i.id = x.instruction_id"
        " JOIN batches b ON b.id = i.batch_id JOIN recipients r ON r.id = i.recipient_id"
        " WHERE x.kind = 'amount_mismatch' AND b.period = ? AND x.amount_fen < i.amount_fen",
        (ctx.period,),
        [
            "instruction_id",
            "recipient_id",
            "key",
            "entitlement_id",
            "entitled",
            "paid",
            "file_id",
            "line",
            "program",
            "township",
        ],
    )
    mismatches["instruction_ids"] = [[int(i)] for i in mismatches["instruction_id"]]
    both = pd.concat(
        [paid.assign(source="settled"), mismatches.assign(source="bank_reported")],
        ignore_index=True,
    )
    both = both.drop_duplicates(subset=["key", "program"], keep="first")
    if both.empty:
        return empty()
    shortfall = both["entitled"].astype("int64") - both["paid"].astype("int64")
    return finish(
        both,
        subject_type="recipient",
        subject_id=both["key"],
        period=ctx.period,
        amount_fen=shortfall,
        township=both["township"],
        program=both["program"],
        recipient_id=both["recipient_id"],
        evidence=[
            {
                "instruction_ids": r.instruction_ids,
                "entitlement_id": int(r.entitlement_id),
                **(
                    {}
                    if pd.isna(r.file_id)
                    else {"return_file_id": int(r.file_id), "line": _int(r.line)}
                ),
            }
            for r in records(both)
        ],
        summary=[
            f"paid {format_yuan(int(p))} of {format_yuan(int(e))} yuan entitled"
            f" ({s.replace('_', ' ')})"
            for p, e, s in zip(both["paid"], both["entitled"], both["source"], strict=True)
        ],
    )


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


W05 = Rule(
    id="W05",
    category="withheld",
    title_zh="少发：实发金额低于应发金额",
    title_en="Paid less than entitled",
    data=(
        "entitlements",
        "payment_instructions",
        "instruction_outcomes",
        "reconciliation_exceptions",
    ),
    checks=(
        "Per entitlement of the period: the amounts the bank confirmed as settled (the "
        "instruction's amount when the return file named none) add up to less than the "
        "entitlement; or the bank reported a lower amount than instructed (amount_mismatch)."
    ),
    amount="entitled minus paid",
    detect=_short,
)

RULES = (W01, W02, W03, W04, W05)
