"""Misappropriated funds (套取/骗取/侵占): payments to people who should not get them.

M06, M09 and M10 (identity, standard, age: who may not be paid at all) are in
``ineligible``, M11-M14 (vehicles, property, businesses, provident fund) in ``assets``;
this module lists all fourteen in id order.
"""

from dataclasses import replace
from typing import Any

import pandas as pd

from ledger.findings.assets import RULES as ASSET_RULES
from ledger.findings.base import Context, Rule, empty
from ledger.findings.blocks import (
    CURRENT_ENROLMENT,
    LIVE,
    NOT_VOIDED,
    PAID_ENTITLEMENT,
    PAYMENT,
    RECIPIENT,
    instructions,
    list_matches,
    live_having,
    on_list,
    payments,
    per_recipient,
    reference_evidence,
    reference_row,
    select,
)
from ledger.findings.ineligible import M06, M09, M10


def _after_death(ctx: Context) -> pd.DataFrame:
    rows = payments(
        ctx,
        {"death_date": "d.death_date", "source": "d.source", **reference_row("d")},
        on_list("ref_deaths", "d"),
        " AND d.death_date < ?",
        ctx.start,
    )
    rows = rows.sort_values(["death_date"]).drop_duplicates(["instruction_id", "recipient_id"])
    return per_recipient(
        ctx,
        rows,
        lambda g: f"paid for {ctx.period} though reported dead on {g.death_date} ({g.source})",
        evidence=reference_evidence("ref_deaths"),
    )


M01 = Rule(
    id="M01",
    category="misappropriated",
    title_zh="死亡后仍发放",
    title_en="Paid for a period after death",
    data=("payment_instructions", "recipients", "ref_deaths (every import)"),
    checks=(
        "Payments of the period to a recipient the death registry reports dead before the "
        "first day of the period (the month of death itself is still paid); a household "
        "payment counts for each member, with the member's share."
    ),
    amount="the period's payments to the recipient",
    detect=_after_death,
)


def _left(g: Any) -> str:
    return f"exit {g.exit_date}" if g.exit_date else f"last month {g.end_month}"


def _after_exit(ctx: Context) -> pd.DataFrame:
    # Exits are often recorded late: a roster that records an exit dated last month
    # reveals last month's payment. So every payment up to the period is compared with
    # the current enrolment, and each finding carries the period it was paid for (its
    # fingerprint is then the same whichever later run finds it).
    left = {"exit_date": "e.exit_date", "end_month": "e.end_month"}
    rows = select(
        ctx,
        {**PAYMENT, **left, "paid_period": "b.period"},
        lambda columns: instructions(
            columns,
            f"b.period <= ? AND {NOT_VOIDED} AND {LIVE}"
            " AND (substr(CAST(e.exit_date AS VARCHAR(10)), 1, 7) < b.period"
            "  OR e.end_month < b.period)",
            RECIPIENT + CURRENT_ENROLMENT,
        ),
        ctx.period,
    )
    if rows.empty:
        return empty()
    found = []
    for period, paid in rows.groupby("paid_period"):
        at = replace(ctx, period=str(period))
        found.append(
            per_recipient(
                at,
                paid.drop(columns=["paid_period"]),
                lambda g, p=period: f"paid for {p} after leaving the program ({_left(g)})",
            )
        )
    return pd.concat(found, ignore_index=True)


M02 = Rule(
    id="M02",
    category="misappropriated",
    title_zh="退出后仍发放",
    title_en="Paid after exit",
    data=("payment_instructions", "enrolments (current version)"),
    checks=(
        "Payments for the period or any earlier one to a recipient whose current "
        "enrolment in the program records an exit date before the month paid for, or a "
        "last month before it (exits recorded after the batch was run, even months later); "
        "each finding is dated by the month paid for."
    ),
    amount="the period's payments in that program",
    detect=_after_exit,
)


def _double(ctx: Context) -> pd.DataFrame:
    rows = payments(
        ctx,
        {"entitlement_id": "i.entitlement_id", "entitled": "e.amount_fen"},
        PAID_ENTITLEMENT,
        f" AND i.entitlement_id IN ({live_having('entitlement_id', 'COUNT(*) > 1')})",
        ctx.period,
    )
    if rows.empty:
        return empty()
    per = rows.groupby("entitlement_id")["entitled"].first()
    extra_due = rows.groupby("key")["entitlement_id"].unique()
    return per_recipient(
        ctx,
        rows.drop(columns=["entitled"]),
        lambda g: f"paid {g.instruction_count} times for one entitlement of {ctx.period}",
        amount=lambda g: g["amount_fen"] - g["key"].map(lambda k: int(per[extra_due[k]].sum())),
    )


M03 = Rule(
    id="M03",
    category="misappropriated",
    title_zh="重复发放：同一人同一项目同一期多次发放",
    title_en="Duplicate: same person, program and period paid twice",
    data=("payment_instructions", "entitlements"),
    checks=(
        "An entitlement of the period with more than one live (pending or settled) "
        "instruction, e.g. a re-issue paid while the original also settled."
    ),
    amount="paid minus entitled",
    detect=_double,
)


def _exclusive(ctx: Context) -> pd.DataFrame:
    pairs = sorted(
        {
            tuple(sorted((p.code, other)))
            for p in ctx.county.programs.values()
            for other in p.excludes
        }
    )
    if not pairs:
        return empty()
    programs = sorted({p for pair in pairs for p in pair})
    listed = ", ".join(f"'{p}'" for p in programs)
    several = live_having(
        "recipient_id", "COUNT(DISTINCT b2.program) > 1", f" AND b2.program IN ({listed})"
    )
    rows = payments(
        ctx, None, "", f" AND b.program IN ({listed}) AND i.recipient_id IN ({several})", ctx.period
    )
    if rows.empty:
        return empty()
    held: dict[str, set[str]] = {}
    for key, program in zip(rows["key"], rows["program"], strict=True):
        held.setdefault(key, set()).add(program)
    bad = {k for k, ps in held.items() if any(a in ps and b in ps for a, b in pairs)}
    rows = rows[rows["key"].isin(bad)]
    by_program = rows.groupby(["key", "program"])["amount_fen"].sum()
    largest = by_program.groupby(level=0).max()
    return per_recipient(
        ctx,
        rows,
        lambda g: "paid by mutually exclusive programs: " + ", ".join(sorted(held[g.key])),
        amount=lambda g: g["amount_fen"] - g["key"].map(largest),
    )


M04 = Rule(
    id="M04",
    category="misappropriated",
    title_zh="重复享受互斥项目",
    title_en="Duplicate: mutually exclusive programs",
    data=("payment_instructions", "county programs.excludes"),
    checks=(
        "A recipient paid in the period by two programs that exclude each other in the "
        "county configuration (e.g. dibao and tekun)."
    ),
    amount="everything but the largest program's payment",
    detect=_exclusive,
)


def _two_townships(ctx: Context) -> pd.DataFrame:
    several = live_having("recipient_id", "COUNT(DISTINCT i2.township) > 1")
    rows = payments(ctx, None, "", f" AND i.recipient_id IN ({several})", ctx.period)
    if rows.empty:
        return empty()
    by_township = rows.groupby(["key", "township"])["amount_fen"].sum()
    largest = by_township.groupby(level=0).max()
    towns = rows.groupby("key")["township"].agg(lambda s: sorted(set(s)))
    return per_recipient(
        ctx,
        rows,
        lambda g: "paid in two townships: " + ", ".join(towns[g.key]),
        amount=lambda g: g["amount_fen"] - g["key"].map(largest),
    )


M05 = Rule(
    id="M05",
    category="misappropriated",
    title_zh="跨乡镇重复享受",
    title_en="Duplicate: paid in two townships",
    data=("payment_instructions",),
    checks="A recipient paid in the period in more than one township (any programs).",
    amount="everything but the largest township's payment",
    detect=_two_townships,
)


def _staff(ctx: Context) -> pd.DataFrame:
    rows = list_matches(
        ctx, "s", on_list("ref_staff", "s", latest="staff"), {"employer": "s.employer"}
    )
    return per_recipient(
        ctx,
        rows,
        lambda g: f"the recipient is on the payroll of {g.employer}",
        evidence=reference_evidence("ref_staff"),
    )


M07 = Rule(
    id="M07",
    category="misappropriated",
    title_zh="财政供养人员违规享受",
    title_en="Public employee receiving assistance",
    data=("payment_instructions", "recipients", "ref_staff (latest staff list)"),
    checks="Payments of the period to someone on the latest staff/payroll roster.",
    amount="the period's payments to the recipient",
    detect=_staff,
)


def _relative(ctx: Context) -> pd.DataFrame:
    cadre = {"cadre_name": "c.cadre_name", "position": "c.position", "relation": "c.relation"}
    rows = list_matches(
        ctx,
        "c",
        on_list("ref_cadre_relatives", "c", "c.relative_id_number = r.id_number", "cadres"),
        cadre,
        " AND c.filed = ? AND NOT EXISTS (SELECT 1 FROM ref_cadre_relatives f"
        "  WHERE f.import_id = c.import_id AND f.relative_id_number = c.relative_id_number"
        "  AND f.cadre_id_number = c.cadre_id_number AND f.filed = ?)",
        False,
        True,
    )
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            f"near relative ({g.relation or 'relative'}) of a cadre ({g.position or ''}), "
            "relation not filed (近亲属未备案)"
        ),
        evidence=reference_evidence("ref_cadre_relatives"),
    )


M08 = Rule(
    id="M08",
    category="misappropriated",
    title_zh="干部近亲属享受未备案（关系保）",
    title_en="Cadre's near relative without filing",
    data=("payment_instructions", "recipients", "ref_cadre_relatives (latest cadre list)"),
    checks=(
        "Payments of the period to someone listed as a cadre's near relative on the latest "
        "cadre roster whose relation was not filed (近亲属备案)."
    ),
    amount="the period's payments to the recipient",
    detect=_relative,
)


RULES = (M01, M02, M03, M04, M05, M06, M07, M08, M09, M10, *ASSET_RULES)
