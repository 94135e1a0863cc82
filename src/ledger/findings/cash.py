"""Cash paid without a signature (现金发放未签收): W07.

A township's cash payment (a bank with ``cash = true``, docs/ledger.md "Cash payments")
draws the money from the special account at export, as a bank payment does; it reaches
the recipient only when the recipient signs the receipt list and the signed list is
imported (``ledger reconcile import``). Cash still unreceipted ``cash_receipt_days``
after the export is in somebody's hands, not the recipient's: a withheld finding per
payment, naming the township and the batch it was drawn for.
"""

import pandas as pd

from ledger.findings.base import Context, Rule, empty
from ledger.findings.blocks import (
    PAYMENT,
    UNANSWERED,
    instructions,
    overdue,
    per_recipient_month,
    select,
)


def _unreceipted(ctx: Context) -> pd.DataFrame:
    cash = sorted(ctx.county.cash_banks)
    if not cash:
        return empty()
    marks = ", ".join("?" for _ in cash)
    rows = select(
        ctx,
        {
            **PAYMENT,
            "period": "b.period",
            "batch_id": "b.id",
            "bank": "b.bank",
            "file_name": "b.file_name",
            "exported_at": "b.exported_at",
            "line_number": "i.line_number",
            "village": "i.village",
        },
        lambda columns: instructions(columns, f"{UNANSWERED} AND b.bank IN ({marks})"),
        ctx.period,
        *cash,
    )
    if rows.empty:
        return empty()
    rows, limit = overdue(ctx, rows, "exported_at", "cash_receipt_days")
    return per_recipient_month(
        rows,
        lambda r: {
            "batch_id": int(r.batch_id),
            "file": r.file_name,
            "line": int(r.line_number),
            "village": r.village,
            "days": int(r.age),
        },
        lambda r: (
            f"cash of batch {r.batch_id} (line {r.line_number}, {r.village}) not signed for"
            f" {int(r.age)} days after it was drawn (limit {limit})"
        ),
    )


W07 = Rule(
    id="W07",
    category="withheld",
    title_zh="现金发放逾期未签收",
    title_en="Cash paid out not signed for after N days",
    data=("batches", "payment_instructions"),
    checks=(
        "A payment at a cash bank (cash = true: 现金发放, 备用金) of the period or earlier, "
        "still pending in an exported batch more than cash_receipt_days after the export: "
        "the cash left the special account but no signed receipt says the recipient got it."
    ),
    thresholds=("cash_receipt_days",),
    amount="the payment's amount",
    detect=_unreceipted,
)

RULES = (W07,)
