"""Misappropriated funds, part two: recipients who may not be paid at all (M06 an
identity that cannot be real, M09 above the program's standard, M10 outside its ages).
``misappropriated.RULES`` lists them with the others."""

import numpy as np
import pandas as pd

from ledger.findings.base import Context, Rule, as_dates, empty, finish, group_payments
from ledger.findings.blocks import (
    PAID_ENROLMENT,
    payments,
    per_recipient,
    period_payments,
    select,
)
from ledger.identity import ascii_digits, birth_dates, id_check_ok
from ledger.money import format_yuan


def _identity(ctx: Context) -> pd.DataFrame:
    people = select(
        ctx,
        {"recipient_id": "r.id", "key": "r.key", "id_number": "r.id_number"},
        lambda columns: period_payments("DISTINCT " + columns),
        ctx.period,
    )
    if people.empty:
        return empty()
    numbers = people["id_number"].astype(str).tolist()
    formed = ascii_digits(numbers, 18, last_x=True)
    problem = np.where(formed, "", "malformed").astype(object)
    good = np.nonzero(formed)[0]
    subset = [numbers[i] for i in good]
    check = id_check_ok(subset)
    births = birth_dates(subset)
    start = np.datetime64(ctx.start, "D")
    bad_birth = np.isnat(births) | (births > start) | (births < np.datetime64("1900-01-01"))
    region = np.array([n[:6] != ctx.county.code for n in subset], dtype=bool)
    reasons = np.where(
        ~check, "checksum", np.where(bad_birth, "birth_date", np.where(region, "region", ""))
    )
    problem[good] = reasons
    people["problem"] = problem
    flagged = people[people["problem"] != ""]
    if flagged.empty:
        return empty()
    listed = ", ".join(str(int(i)) for i in flagged["recipient_id"])
    where = "" if len(flagged) > 50_000 else f" AND i.recipient_id IN ({listed})"
    rows = payments(ctx, None, "", where)
    problems = flagged.set_index("key")["problem"]
    rows = rows[rows["key"].isin(problems.index)]
    rows = rows.assign(problem=rows["key"].map(problems))
    words = {
        "malformed": "the ID number is not 17 digits and a check character",
        "checksum": "the ID number's check character is wrong",
        "birth_date": "the ID number's birth date is impossible",
        "region": f"the ID number's region is outside the county ({ctx.county.code})",
    }
    return per_recipient(
        ctx,
        rows,
        lambda g: words[g.problem],
        evidence=lambda g: {"problem": g.problem},
        severity=lambda g: ["medium" if p == "region" else "high" for p in g["problem"]],
    )


M06 = Rule(
    id="M06",
    category="misappropriated",
    title_zh="身份信息无效",
    title_en="Invalid identity",
    data=("recipients", "payment_instructions", "county code"),
    checks=(
        "Recipients paid in the period whose ID number is malformed, fails the GB 11643 "
        "check character, carries an impossible birth date (not a date, before 1900 or "
        "after the period), or a region code other than the county's (medium severity)."
    ),
    amount="the period's payments to the recipient",
    detect=_identity,
)


def _above_cap(ctx: Context) -> pd.DataFrame:
    programs = ctx.county.programs
    if not programs:
        return empty()
    cap = (
        "CASE b.program "
        + " ".join(f"WHEN '{p.code}' THEN {int(p.monthly_cap_fen)}" for p in programs.values())
        + " END"
    )
    household = [p.code for p in programs.values() if p.paid_per == "household"]
    unit = (
        "CASE WHEN b.program IN (" + ", ".join(f"'{c}'" for c in household) + ")"
        " THEN 'H' || e.household_id ELSE 'R' || r.key END"
        if household
        else "'R' || r.key"
    )
    # 分类施保 supplements are paid on top of the standard (county.toml [[supplements]]).
    regular = " AND n.kind <> 'supplement'"
    above = period_payments(f"b.program || ':' || {unit}", PAID_ENROLMENT, regular) + (
        f" GROUP BY b.program, {unit} HAVING SUM(i.amount_fen) > MAX({cap})"
    )
    rows = payments(
        ctx,
        {"unit": unit, "cap": cap},
        PAID_ENROLMENT,
        f"{regular} AND b.program || ':' || {unit} IN ({above})",
        ctx.period,
    )
    if rows.empty:
        return empty()
    groups = group_payments(
        rows,
        ["program", "unit"],
        extra={
            "cap": ("cap", "max"),
            "key": ("key", "min"),
            "recipient_id": ("recipient_id", "min"),
            "township": ("township", "first"),
            "members": ("key", lambda s: sorted(set(s))),
        },
    )
    return finish(
        groups,
        subject_type="recipient",
        subject_id=groups["key"],
        period=ctx.period,
        amount_fen=groups["amount_fen"] - groups["cap"],
        township=groups["township"],
        program=groups["program"],
        recipient_id=groups["recipient_id"],
        evidence=lambda g: {
            "instruction_ids": g.instruction_ids,
            "recipients": g.members,
            "cap_fen": int(g.cap),
        },
        summary=lambda g: (
            f"{'household' if str(g.unit).startswith('H') else 'person'} paid "
            f"{format_yuan(int(g.amount_fen))} yuan in {g.program}, above the monthly standard"
            f" of {format_yuan(int(g.cap))} yuan"
        ),
    )


M09 = Rule(
    id="M09",
    category="misappropriated",
    title_zh="超标准发放",
    title_en="Amount above the program standard",
    data=("payment_instructions", "entitlements", "enrolments", "county programs.monthly_cap"),
    checks=(
        "Per program and period, the payments to one household (programs paid per "
        "household) or one person (paid per person) add up to more than the program's "
        "monthly_cap. The subject is the household's first recipient."
    ),
    thresholds=("programs.monthly_cap",),
    amount="paid minus the cap",
    detect=_above_cap,
)


def _age(ctx: Context) -> pd.DataFrame:
    limited = {
        p.code: (p.min_age, p.max_age)
        for p in ctx.county.programs.values()
        if p.min_age is not None or p.max_age is not None
    }
    if not limited:
        return empty()
    listed = ", ".join(f"'{p}'" for p in limited)
    born = {"birth_date": "r.birth_date", "id_number": "r.id_number"}
    rows = payments(ctx, born, "", f" AND b.program IN ({listed})")
    if rows.empty:
        return empty()
    births = as_dates(rows["birth_date"])
    missing = births.isna()
    if missing.any():
        numbers = rows.loc[missing, "id_number"].astype(str).tolist()
        formed = ascii_digits(numbers, 18, last_x=True)
        derived = np.full(len(numbers), np.datetime64("NaT"), dtype="datetime64[D]")
        idx = np.nonzero(formed)[0]
        derived[idx] = birth_dates([numbers[i] for i in idx])
        births = births.copy()
        births[missing] = pd.to_datetime(derived)
    start = pd.Timestamp(ctx.start)
    age = (
        start.year
        - births.dt.year
        - (
            (births.dt.month > start.month)
            | ((births.dt.month == start.month) & (births.dt.day > 1))
        )
    )
    low = rows["program"].map(lambda p: -1 if limited[p][0] is None else limited[p][0])
    high = rows["program"].map(lambda p: 10**6 if limited[p][1] is None else limited[p][1])
    bad = (age < low) | (age >= high)
    rows = rows.assign(age=age)[bad.fillna(False)].drop(columns=["birth_date", "id_number"])
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            f"aged {int(g.age)} at the start of {ctx.period}, outside the ages of {g.program}"
        ),
        evidence=lambda g: {"age": int(g.age)},
        severity="medium",
    )


M10 = Rule(
    id="M10",
    category="misappropriated",
    title_zh="年龄与项目条件不符",
    title_en="Age inconsistent with the program",
    data=("payment_instructions", "recipients (birth date, else from the ID number)"),
    checks=(
        "Payments of the period in a program with min_age/max_age to someone whose age in "
        "whole years on the first day of the period is below min_age or at least max_age "
        "(max_age is the age at which payment stops, e.g. orphans at 18)."
    ),
    thresholds=("programs.min_age", "programs.max_age"),
    severity="medium",
    amount="the period's payments in that program",
    detect=_age,
)
