"""Diverted funds (挪用/挤占/代领): money that reaches someone other than the recipient."""

import pandas as pd

from ledger.findings.base import (
    Context,
    Rule,
    as_dates,
    empty,
    finish,
    group_payments,
    ids_list,
)
from ledger.findings.blocks import (
    NOT_VOIDED,
    PAID_BY_RIGHT,
    PAID_ENROLMENT,
    PAYMENT,
    instructions,
    on_list,
    payments,
    per_account,
    per_recipient,
    select,
    shared_cards,
)

# A payment and the account it went to, as sent to the bank.
_PAID_TO = {
    **PAYMENT,
    "name": "r.name",
    "account_number": "i.account_number",
    "account_holder": "i.account_holder",
}


def _holder(ctx: Context) -> pd.DataFrame:
    be01 = select(
        ctx,
        _PAID_TO,
        lambda columns: instructions(
            columns, f"b.period = ? AND {NOT_VOIDED} AND i.reason_code = 'BE01'"
        ),
        ctx.period,
    )
    paid = payments(ctx, _PAID_TO, "", " AND i.account_holder <> r.name" + PAID_BY_RIGHT)
    paid = paid[paid["account_holder"] != paid["name"]]
    rows = pd.concat([paid, be01], ignore_index=True).drop_duplicates(
        ["instruction_id", "recipient_id"]
    )
    if rows.empty:
        return empty()
    be01_keys = set(be01["key"])
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            "the bank rejected the payee name (BE01)"
            if g.key in be01_keys
            else "the account holder is not the recipient"
        ),
        evidence=lambda g: {"bank_reason": "BE01" if g.key in be01_keys else None},
    )


D01 = Rule(
    id="D01",
    category="diverted",
    title_zh="代领：账户户名与救助对象不一致",
    title_en="Account holder is not the recipient",
    data=("payment_instructions", "recipients", "batches"),
    checks=(
        "Payments of the period whose account holder (as sent to the bank) differs from the "
        "recipient's registered name, and instructions the bank rejected with BE01 "
        "(inconsistent with end customer). Persons paid to another's account by right are "
        "not compared: a household's members (pay_to = household: the 户主's card; only the "
        "head's name is compared) and a care institution's residents (集中供养)."
    ),
    amount="the period's payments to the recipient through such instructions",
    detect=_holder,
)


def _shared(ctx: Context) -> pd.DataFrame:
    shared = shared_cards("COUNT(DISTINCT i2.recipient_id) > 1")
    rows = payments(
        ctx,
        {**_PAID_TO, "household_id": "e.household_id"},
        PAID_ENROLMENT,
        f" AND i.account_number IN ({shared}) AND i.institution_resident = 0",
        ctx.period,
    )
    if rows.empty:
        return empty()
    households = rows.groupby("account_number")["household_id"].nunique()
    rows = rows[rows["account_number"].map(households) > 1]
    if rows.empty:
        return empty()
    # The account's own household (the one paid most through it) is not at risk.
    per_household = rows.groupby(["account_number", "household_id"])["amount_fen"].sum()
    largest = per_household.groupby(level=0).max()
    groups = group_payments(
        rows,
        ["account_number"],
        extra={
            "recipients": ("key", lambda s: sorted(set(s))),
            "households": ("household_id", "nunique"),
            "township": ("township", "first"),
            "holder": ("account_holder", "first"),
        },
    )
    return per_account(
        ctx,
        groups,
        account="account_number",
        amount=groups["amount_fen"] - groups["account_number"].map(largest),
        evidence=lambda g: {"instruction_ids": g.instruction_ids, "recipients": g.recipients},
        summary=lambda g: (
            f"one account receives for {len(g.recipients)} recipients of {int(g.households)} "
            "households (多人一卡)"
        ),
    )


D02 = Rule(
    id="D02",
    category="diverted",
    title_zh="多人一卡：一个账户为多名无关对象收款",
    title_en="One account receiving for several unrelated recipients",
    data=("payment_instructions", "entitlements", "enrolments", "recipients"),
    checks=(
        "An account number that receives payments of the period for recipients of more "
        "than one household (members of one household sharing an account are related and "
        "not a finding; nor is a care institution's account paid for its residents, 集中供养)."
    ),
    subject="account",
    amount="the payments into the account except those of the household paid most through it",
    detect=_shared,
)


def _staff_account(ctx: Context) -> pd.DataFrame:
    rows = payments(
        ctx,
        {**_PAID_TO, "staff_id_number": "s.id_number", "id_number": "r.id_number"},
        on_list("ref_staff_accounts", "s", "s.account_number = i.account_number", "staff"),
    )
    rows = rows[rows["staff_id_number"] != rows["id_number"]].drop_duplicates(
        ["instruction_id", "recipient_id"]
    )
    return per_recipient(
        ctx,
        rows,
        lambda g: "paid into a salary account of a public employee",
        evidence=lambda g: {"reference": "ref_staff_accounts"},
    )


D03 = Rule(
    id="D03",
    category="diverted",
    title_zh="收款账户属于工作人员",
    title_en="Payee account belongs to staff or a cadre",
    data=("payment_instructions", "ref_staff_accounts (latest staff list)"),
    checks=(
        "Payments of the period into an account listed as the salary account of someone "
        "on the latest staff/payroll roster (cadres are on it too) who is not the recipient."
    ),
    amount="the period's payments into such accounts",
    detect=_staff_account,
)


def _changed(ctx: Context) -> pd.DataFrame:
    rows = payments(
        ctx,
        {
            **_PAID_TO,
            "old_account": "old.account_number",
            "changed_at": "ri.imported_at",
            "paid_on": "COALESCE(b.pay_date, b.exported_at, b.created_at)",
        },
        PAID_ENROLMENT + " JOIN enrolments old ON old.recipient_id = e.recipient_id"
        " AND old.program = e.program AND old.valid_to_import = e.valid_from_import"
        " AND (old.account_number <> e.account_number OR old.bank <> e.bank)"
        " JOIN roster_imports ri ON ri.id = e.valid_from_import",
    )
    if rows.empty:
        return empty()
    limit = ctx.threshold("account_change_days")
    days = (as_dates(rows["paid_on"]) - as_dates(rows["changed_at"])).dt.days
    rows = rows.assign(days=days)[(days >= 0) & (days <= limit)]
    days_by_key = rows.groupby("key")["days"].min()
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            f"bank account changed {int(days_by_key[g.key])} days before the payment"
            f" (limit {limit})"
        ),
        severity="medium",
    )


D04 = Rule(
    id="D04",
    category="diverted",
    title_zh="临近发放变更收款账户",
    title_en="Account changed shortly before payment",
    data=("payment_instructions", "entitlements", "enrolments (versions)", "roster_imports"),
    checks=(
        "A payment of the period whose enrolment version changed the bank or account number "
        "of the previous version, recorded (roster import time) at most account_change_days "
        "before the batch's pay date."
    ),
    thresholds=("account_change_days",),
    severity="medium",
    amount="the payments made to the new account in the period",
    detect=_changed,
)


# A return-file line the reconciliation refused, with the file and the batch it names.
_REFUSED_LINE = {
    "exception_id": "x.id",
    "kind": "x.kind",
    "file_id": "x.return_file_id",
    "file_name": "f.file_name",
    "line": "x.line",
    "element": "x.element",
    "end_to_end_id": "x.end_to_end_id",
    "instruction_id": "x.instruction_id",
    "batch_id": "COALESCE(x.batch_id, i.batch_id)",
    "period": "b.period",
    "program": "b.program",
    "account_number": "x.account_number",
    "amount_fen": "x.amount_fen",
    "imported_at": "f.imported_at",
}


def _tampered(ctx: Context) -> pd.DataFrame:
    rows = select(
        ctx,
        _REFUSED_LINE,
        lambda columns: (
            f"SELECT {columns} FROM reconciliation_exceptions x"
            " JOIN return_files f ON f.id = x.return_file_id"
            " LEFT JOIN payment_instructions i ON i.id = x.instruction_id"
            " LEFT JOIN batches b ON b.id = COALESCE(x.batch_id, i.batch_id)"
            " WHERE x.kind IN ('unmatched', 'account_mismatch', 'batch_not_exported')"
        ),
    )
    if rows.empty:
        return empty()
    imported = as_dates(rows["imported_at"]).dt.strftime("%Y-%m")
    rows["period"] = rows["period"].where(rows["period"].notna(), imported)
    rows = rows[rows["period"] == ctx.period].copy()
    if rows.empty:
        return empty()
    rows["amount_fen"] = rows["amount_fen"].fillna(0).astype("int64")
    has_batch = rows["batch_id"].notna()
    rows["subject_type"] = ["batch" if h else "account" for h in has_batch]
    rows["subject"] = [
        str(int(b)) if h else (a or f"file {int(f)}")
        for h, b, a, f in zip(
            has_batch, rows["batch_id"], rows["account_number"], rows["file_id"], strict=True
        )
    ]
    out = []
    for (subject_type, subject), group in rows.groupby(["subject_type", "subject"], sort=True):
        out.append(
            {
                "subject_type": subject_type,
                "subject": subject,
                "program": next(iter(group["program"].dropna()), None),
                "amount_fen": int(group["amount_fen"].sum()),
                "evidence": {
                    "exception_ids": ids_list(group["exception_id"]),
                    "kinds": sorted(set(group["kind"])),
                    "lines": [
                        {
                            "file": n,
                            "return_file_id": int(f),
                            "line": None if pd.isna(ln) else int(ln),
                            "element": None if pd.isna(el) else el,
                            "end_to_end_id": None if pd.isna(e) else e,
                        }
                        for n, f, ln, el, e in zip(
                            group["file_name"],
                            group["file_id"],
                            group["line"],
                            group["element"],
                            group["end_to_end_id"],
                            strict=True,
                        )
                    ][:50],
                    "instruction_ids": ids_list(group["instruction_id"].dropna()),
                },
                "kinds": ", ".join(sorted(set(group["kind"]))),
                "count": len(group),
            }
        )
    frame = pd.DataFrame(out)
    parts = []
    for subject_type, group in frame.groupby("subject_type"):
        parts.append(
            finish(
                group,
                subject_type=str(subject_type),
                subject_id=group["subject"],
                period=ctx.period,
                amount_fen=group["amount_fen"],
                program=group["program"],
                evidence=list(group["evidence"]),
                summary=[
                    f"bank return file reports {c} payment line(s) we never instructed as "
                    f"such ({k})"
                    for c, k in zip(group["count"], group["kinds"], strict=True)
                ],
            )
        )
    return pd.concat(parts, ignore_index=True)


D05 = Rule(
    id="D05",
    category="diverted",
    title_zh="银行回单与指令不符：未指令的付款或收款账户被改",
    title_en="Bank reports a payment we never instructed or to another account",
    data=("reconciliation_exceptions", "return_files", "payment_instructions", "batches"),
    checks=(
        "Return-file lines the reconciliation refused to post because they match no "
        "instruction (unmatched), name another account than the instruction "
        "(account_mismatch), or concern a batch that was never exported "
        "(batch_not_exported): signs of a tampered bank file. The period is the batch's, "
        "or the month the return file was imported."
    ),
    subject="batch (or account when no batch is known)",
    amount="the amounts the bank reported on those lines",
    detect=_tampered,
)


def _outflow(ctx: Context) -> pd.DataFrame:
    rows = select(
        ctx,
        {
            "account": "a.name",
            "program": "a.program",
            "transaction_id": "t.id",
            "amount_fen": "p.amount_fen",
        },
        lambda columns: (
            f"SELECT {columns} FROM transactions t JOIN postings p ON p.transaction_id = t.id"
            " JOIN accounts a ON a.id = p.account_id"
            " WHERE t.period = ? AND a.name LIKE 'Assets:Treasury:%' AND p.amount_fen < 0"
            " AND t.id NOT IN (SELECT funding_transaction_id FROM batches"
            "   WHERE funding_transaction_id IS NOT NULL)"
            " AND NOT EXISTS (SELECT 1 FROM postings q JOIN accounts c ON c.id = q.account_id"
            "   WHERE q.transaction_id = t.id AND c.name LIKE 'Income:Appropriation:%')"
        ),
        ctx.period,
    )
    if rows.empty:
        return empty()
    groups = rows.groupby(["account", "program"], as_index=False).agg(
        amount_fen=("amount_fen", "sum"),
        transaction_ids=("transaction_id", lambda s: ids_list(s)),
    )
    return per_account(
        ctx,
        groups,
        amount=-groups["amount_fen"],
        evidence=lambda g: {"transaction_ids": g.transaction_ids},
        summary=lambda g: (
            f"{len(g.transaction_ids)} payment(s) out of the special account that fund no "
            "payment batch and return nothing to a source"
        ),
    )


D06 = Rule(
    id="D06",
    category="diverted",
    title_zh="专户资金流向非救助对象",
    title_en="Treasury outflow to a non-recipient account",
    data=("postings", "transactions", "accounts", "batches"),
    checks=(
        "Credits to Assets:Treasury:{program} dated in the period that are neither the "
        "funding of an exported payment batch nor a surplus returned to a fund source: "
        "money left the special account without instructions to recipients."
    ),
    subject="account",
    amount="the outflows",
    detect=_outflow,
)

RULES = (D01, D02, D03, D04, D05, D06)
