"""Withheld funds (截留/滞留): money owed to recipients that does not reach them.

W04 (idle treasury funds) is in ``idle``; this module lists W01-W05 in id order."""

from typing import Any

import pandas as pd

from ledger.findings.base import (
    Context,
    Rule,
    empty,
    finish,
    group_payments,
    period_end,
)
from ledger.findings.blocks import (
    NOT_VOIDED,
    PAID_ENTITLEMENT,
    PAYMENT,
    RECIPIENT,
    SETTLED_OUTCOME,
    UNANSWERED,
    instructions,
    overdue,
    per_recipient_month,
    select,
)
from ledger.findings.idle import W04
from ledger.money import format_yuan


def _unpaid(ctx: Context) -> pd.DataFrame:
    # The entitlement's period, program, township and amount; due with the batch.
    owed = {"period": "e.period", "program": "e.program", "township": "e.township"}
    rows = select(
        ctx,
        {
            **PAYMENT,
            **owed,
            "amount_fen": "e.amount_fen",
            "batch_id": "b.id",
            "state": "b.state",
            "due": "b.period",
        },
        lambda columns: instructions(
            columns,
            "b.period <= ? AND b.state IN ('draft', 'approved')"
            " AND i.status = 'pending' AND e.status = 'open'",
            PAID_ENTITLEMENT + RECIPIENT,
        ),
        ctx.period,
    )
    if rows.empty:
        return empty()
    limit = ctx.threshold("unpaid_days")
    # Due with the batch's period: back pay (补发) dated to an earlier month is due with
    # the batch that carries it (for any other entitlement both periods are the same).
    ends = {p: pd.Timestamp(period_end(p)) for p in rows["due"].unique()}
    overdue = (pd.Timestamp(ctx.as_of) - rows["due"].map(ends)).dt.days > limit
    rows = rows[overdue]
    return per_recipient_month(
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
    sent = {"bank": "b.bank", "exported_at": "b.exported_at", "file_name": "b.file_name"}
    rows = select(
        ctx,
        {
            "batch_id": "b.id",
            "period": "b.period",
            "program": "b.program",
            "funding_transaction_id": "b.funding_transaction_id",
            **sent,
            "instruction_id": "i.id",
            "amount_fen": "i.amount_fen",
        },
        lambda columns: instructions(columns, UNANSWERED, joins=""),
        ctx.period,
    )
    if rows.empty:
        return empty()
    rows, limit = overdue(ctx, rows, "exported_at", "clearing_days")
    # Cash waiting for its signatures is W07's (cash_receipt_days), not the bank's.
    rows = rows[~rows["bank"].isin(ctx.county.cash_banks)]
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
        evidence=lambda g: {
            "batch_id": int(g.batch_id),
            "transaction_ids": [int(g.funding_transaction_id)],
            "file": g.file_name,
            "instruction_ids": g.instruction_ids,
            "instruction_count": int(g.instruction_count),
        },
        summary=lambda g: (
            f"{int(g.instruction_count)} payment(s) at {g.bank} unconfirmed {int(g.age)} days "
            f"after export (limit {limit})"
        ),
    )


W02 = Rule(
    id="W02",
    category="withheld",
    title_zh="资金滞留银行：清算逾期未结",
    title_en="Clearing at the bank unresolved after N days",
    data=("batches", "payment_instructions"),
    checks=(
        "Instructions still pending in an exported batch more than clearing_days after the "
        "export: the money left the special account but no bank confirmed or rejected it "
        "(cash banks: W07)."
    ),
    thresholds=("clearing_days",),
    subject="batch",
    amount="the sum of the batch's unconfirmed instructions",
    detect=_clearing,
)


def _failed(ctx: Context) -> pd.DataFrame:
    failure = {"failed_at": "i.failed_at", "reason_code": "i.reason_code"}
    rows = select(
        ctx,
        {**PAYMENT, "period": "b.period", **failure, "batch_id": "b.id"},
        lambda columns: instructions(columns, "b.period <= ? AND i.status = 'failed'"),
        ctx.period,
    )
    if rows.empty:
        return empty()
    rows, limit = overdue(ctx, rows, "failed_at", "failed_followup_days")
    return per_recipient_month(
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


# What the bank confirmed as settled (the instruction's amount when it named none).
_SETTLED = "COALESCE(o.amount_fen, i.amount_fen)"


def _short(ctx: Context) -> pd.DataFrame:
    # Aggregated in the database: only short entitlements come back.
    entitlement = {"entitlement_id": "e.id", "recipient_id": "e.recipient_id", "key": "r.key"}
    outcome = {"instruction_id": "MIN(i.id)", "file_id": "MAX(o.return_file_id)"}
    paid = select(
        ctx,
        {
            **entitlement,
            "entitled": "e.amount_fen",
            "paid": f"SUM({_SETTLED})",
            "program": "b.program",
            "township": "e.township",
            **outcome,
            "line": "MAX(o.line)",
        },
        lambda columns: instructions(
            columns,
            f"b.period = ? AND {NOT_VOIDED} AND i.status = 'settled'"
            " GROUP BY e.id, e.recipient_id, r.key, e.amount_fen, b.program, e.township"
            # A 扣减 deduction is not a shortfall: the net is what is owed in cash.
            f" HAVING SUM({_SETTLED}) < e.amount_fen - COALESCE((SELECT d.amount_fen"
            " FROM deductions d WHERE d.entitlement_id = e.id), 0)",
            PAID_ENTITLEMENT + RECIPIENT + SETTLED_OUTCOME,
        ),
        ctx.period,
    )
    paid["instruction_ids"] = [[int(i)] for i in paid["instruction_id"]]
    reported = {"file_id": "x.return_file_id", "line": "x.line"}
    mismatches = select(
        ctx,
        {
            **PAYMENT,
            "entitlement_id": "i.entitlement_id",
            "entitled": "i.amount_fen",
            "paid": "x.amount_fen",
            **reported,
        },
        lambda columns: (
            f"SELECT {columns} FROM reconciliation_exceptions x"
            " JOIN payment_instructions i ON i.id = x.instruction_id"
            " JOIN batches b ON b.id = i.batch_id JOIN recipients r ON r.id = i.recipient_id"
            " WHERE x.kind = 'amount_mismatch' AND b.period = ? AND x.amount_fen < i.amount_fen"
        ),
        ctx.period,
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
        evidence=lambda r: {
            "instruction_ids": r.instruction_ids,
            "entitlement_id": int(r.entitlement_id),
            **(
                {}
                if pd.isna(r.file_id)
                else {"return_file_id": int(r.file_id), "line": _int(r.line)}
            ),
        },
        summary=lambda r: (
            f"paid {format_yuan(int(r.paid))} of {format_yuan(int(r.entitled))} yuan entitled"
            f" ({r.source.replace('_', ' ')})"
        ),
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
