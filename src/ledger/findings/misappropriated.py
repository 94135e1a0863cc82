"""Misappropriated funds (套取/骗取/侵占): payments to people who should not get them."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ledger.findings.base import (
    PAYMENTS_OF_PERIOD,
    Context,
    Rule,
    as_dates,
    empty,
    finish,
    group_payments,
    records,
)
from ledger.identity import ascii_digits, birth_dates, id_check_ok
from ledger.money import format_yuan

_COLUMNS = ["instruction_id", "recipient_id", "key", "program", "township", "amount_fen"]
_SELECT = "SELECT i.id, i.recipient_id, r.key, b.program, i.township, i.amount_fen"


def _per_recipient(
    ctx: Context,
    rows: pd.DataFrame,
    summary: Any,
    *,
    evidence: Any = None,
    severity: Any = "high",
    amount: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> pd.DataFrame:
    """One finding per recipient: the period's matching payments summed."""
    if rows.empty:
        return empty()
    extra = {"township": ("township", "first"), "program": ("program", "first")}
    for column in rows.columns:
        if column not in (*_COLUMNS, "township", "program"):
            extra[column] = (column, "first")
    groups = group_payments(rows, ["recipient_id", "key"], extra=extra)
    return finish(
        groups,
        subject_type="recipient",
        subject_id=groups["key"],
        period=ctx.period,
        amount_fen=groups["amount_fen"] if amount is None else amount(groups),
        township=groups["township"],
        program=groups["program"],
        recipient_id=groups["recipient_id"],
        severity=severity(groups) if callable(severity) else severity,
        evidence=[
            {"instruction_ids": g.instruction_ids, **(evidence(g) if evidence else {})}
            for g in records(groups)
        ],
        summary=[summary(g) for g in records(groups)],
    )


def _after_death(ctx: Context) -> pd.DataFrame:
    rows = ctx.frame(
        _SELECT + ", d.death_date, d.import_id, d.row_no, d.source FROM batches b"
        " JOIN payment_instructions i ON i.batch_id = b.id"
        " JOIN recipients r ON r.id = i.recipient_id"
        " JOIN ref_deaths d ON d.id_number = r.id_number"
        " WHERE b.period = ? AND b.state <> 'voided' AND i.status IN ('pending', 'settled')"
        " AND d.death_date < ?",
        (ctx.period, ctx.start),
        [*_COLUMNS, "death_date", "import_id", "row_no", "source"],
    )
    rows = rows.sort_values(["death_date"]).drop_duplicates("instruction_id")
    return _per_recipient(
        ctx,
        rows,
        lambda g: f"paid for {ctx.period} though reported dead on {g.death_date} ({g.source})",
        evidence=lambda g: {
            "reference": "ref_deaths",
            "refdata_import_id": int(g.import_id),
            "line": int(g.row_no),
        },
    )


M01 = Rule(
    id="M01",
    category="misappropriated",
    title_zh="死亡后仍发放",
    title_en="Paid for a period after death",
    data=("payment_instructions", "recipients", "ref_deaths (every import)"),
    checks=(
        "Payments of the period to a recipient the death registry reports dead before the "
        "first day of the period (the month of death itself is still paid)."
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
    rows = ctx.frame(
        _SELECT + ", e.exit_date, e.end_month, b.period FROM batches b"
        " JOIN payment_instructions i ON i.batch_id = b.id"
        " JOIN recipients r ON r.id = i.recipient_id"
        " JOIN enrolments e ON e.recipient_id = i.recipient_id AND e.program = b.program"
        "  AND e.valid_to_import IS NULL"
        " WHERE b.period <= ? AND b.state <> 'voided' AND i.status IN ('pending', 'settled')"
        " AND (substr(CAST(e.exit_date AS VARCHAR(10)), 1, 7) < b.period"
        "  OR e.end_month < b.period)",
        (ctx.period,),
        [*_COLUMNS, "exit_date", "end_month", "paid_period"],
    )
    if rows.empty:
        return empty()
    found = []
    for period, paid in rows.groupby("paid_period"):
        at = replace(ctx, period=str(period))
        found.append(
            _per_recipient(
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
    rows = ctx.frame(
        _SELECT
        + ", i.entitlement_id, e.amount_fen "
        + PAYMENTS_OF_PERIOD.replace(
            "WHERE", "JOIN entitlements e ON e.id = i.entitlement_id WHERE"
        )
        + " AND i.entitlement_id IN (SELECT i2.entitlement_id FROM batches b2"
        "  JOIN payment_instructions i2 ON i2.batch_id = b2.id"
        "  WHERE b2.period = ? AND b2.state <> 'voided' AND i2.status IN ('pending', 'settled')"
        "  GROUP BY i2.entitlement_id HAVING COUNT(*) > 1)",
        (ctx.period, ctx.period),
        [*_COLUMNS, "entitlement_id", "entitled"],
    )
    if rows.empty:
        return empty()
    per = rows.groupby("entitlement_id")["entitled"].first()
    extra_due = rows.groupby("key")["entitlement_id"].unique()
    return _per_recipient(
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
    rows = ctx.frame(
        _SELECT + PAYMENTS_OF_PERIOD + f" AND b.program IN ({listed})"
        " AND i.recipient_id IN (SELECT i2.recipient_id FROM batches b2"
        "  JOIN payment_instructions i2 ON i2.batch_id = b2.id"
        f"  WHERE b2.period = ? AND b2.state <> 'voided' AND b2.program IN ({listed})"
        "  AND i2.status IN ('pending', 'settled')"
        "  GROUP BY i2.recipient_id HAVING COUNT(DISTINCT b2.program) > 1)",
        (ctx.period, ctx.period),
        _COLUMNS,
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
    return _per_recipient(
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
    rows = ctx.frame(
        _SELECT + PAYMENTS_OF_PERIOD + " AND i.recipient_id IN (SELECT i2.recipient_id"
        "  FROM batches b2 JOIN payment_instructions i2 ON i2.batch_id = b2.id"
        "  WHERE b2.period = ? AND b2.state <> 'voided' AND i2.status IN ('pending', 'settled')"
        "  GROUP BY i2.recipient_id HAVING COUNT(DISTINCT i2.township) > 1)",
        (ctx.period, ctx.period),
        _COLUMNS,
    )
    if rows.empty:
        return empty()
    by_township = rows.groupby(["key", "township"])["amount_fen"].sum()
    largest = by_township.groupby(level=0).max()
    towns = rows.groupby("key")["township"].agg(lambda s: sorted(set(s)))
    return _per_recipient(
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


def _identity(ctx: Context) -> pd.DataFrame:
    people = ctx.frame(
        "SELECT DISTINCT r.id, r.key, r.id_number " + PAYMENTS_OF_PERIOD,
        (ctx.period,),
        ["recipient_id", "key", "id_number"],
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
    rows = (
        ctx.frame(
            _SELECT + PAYMENTS_OF_PERIOD,
            (ctx.period,),
            _COLUMNS,
        )
        if len(flagged) > 50_000
        else ctx.frame(
            _SELECT
            + PAYMENTS_OF_PERIOD
            + " AND i.recipient_id IN ("
            + ", ".join(str(int(i)) for i in flagged["recipient_id"])
            + ")",
            (ctx.period,),
            _COLUMNS,
        )
    )
    problems = flagged.set_index("key")["problem"]
    rows = rows[rows["key"].isin(problems.index)]
    rows = rows.assign(problem=rows["key"].map(problems))
    words = {
        "malformed": "the ID number is not 17 digits and a check character",
        "checksum": "the ID number's check character is wrong",
        "birth_date": "the ID number's birth date is impossible",
        "region": f"the ID number's region is outside the county ({ctx.county.code})",
    }
    return _per_recipient(
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


def _staff(ctx: Context) -> pd.DataFrame:
    rows = ctx.frame(
        _SELECT + ", s.employer, s.import_id, s.row_no FROM batches b"
        " JOIN payment_instructions i ON i.batch_id = b.id"
        " JOIN recipients r ON r.id = i.recipient_id"
        " JOIN ref_staff s ON s.id_number = r.id_number"
        " WHERE b.period = ? AND b.state <> 'voided' AND i.status IN ('pending', 'settled')"
        " AND s.import_id = (SELECT MAX(id) FROM refdata_imports WHERE kind = 'staff')",
        (ctx.period,),
        [*_COLUMNS, "employer", "import_id", "row_no"],
    ).drop_duplicates("instruction_id")
    return _per_recipient(
        ctx,
        rows,
        lambda g: f"the recipient is on the payroll of {g.employer}",
        evidence=lambda g: {
            "reference": "ref_staff",
            "refdata_import_id": int(g.import_id),
            "line": int(g.row_no),
        },
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
    rows = ctx.frame(
        _SELECT + ", c.cadre_name, c.position, c.relation, c.import_id, c.row_no FROM batches b"
        " JOIN payment_instructions i ON i.batch_id = b.id"
        " JOIN recipients r ON r.id = i.recipient_id"
        " JOIN ref_cadre_relatives c ON c.relative_id_number = r.id_number"
        " WHERE b.period = ? AND b.state <> 'voided' AND i.status IN ('pending', 'settled')"
        " AND c.filed = ? AND c.import_id = (SELECT MAX(id) FROM refdata_imports"
        "  WHERE kind = 'cadres')"
        " AND NOT EXISTS (SELECT 1 FROM ref_cadre_relatives f"
        "  WHERE f.import_id = c.import_id AND f.relative_id_number = c.relative_id_number"
        "  AND f.cadre_id_number = c.cadre_id_number AND f.filed = ?)",
        (ctx.period, False, True),
        [*_COLUMNS, "cadre_name", "position", "relation", "import_id", "row_no"],
    ).drop_duplicates("instruction_id")
    return _per_recipient(
        ctx,
        rows,
        lambda g: (
            f"near relative ({g.relation or 'relative'}) of a cadre ({g.position or ''}), "
            "relation not filed (近亲属未备案)"
        ),
        evidence=lambda g: {
            "reference": "ref_cadre_relatives",
            "refdata_import_id": int(g.import_id),
            "line": int(g.row_no),
        },
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
    base = (
        " FROM batches b JOIN payment_instructions i ON i.batch_id = b.id"
        " JOIN recipients r ON r.id = i.recipient_id"
        " JOIN entitlements n ON n.id = i.entitlement_id"
        " JOIN enrolments e ON e.id = n.enrolment_id"
        " WHERE b.period = ? AND b.state <> 'voided' AND i.status IN ('pending', 'settled')"
    )
    rows = ctx.frame(
        f"SELECT i.id, i.recipient_id, r.key, b.program, i.township, i.amount_fen, {unit},"
        f" {cap}" + base + f" AND b.program || ':' || {unit} IN ("
        f"SELECT b.program || ':' || {unit}"
        + base
        + f" GROUP BY b.program, {unit} HAVING SUM(i.amount_fen) > MAX({cap}))",
        (ctx.period, ctx.period),
        [*_COLUMNS, "unit", "cap"],
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
        evidence=[
            {"instruction_ids": g.instruction_ids, "recipients": g.members, "cap_fen": int(g.cap)}
            for g in records(groups)
        ],
        summary=[
            f"{'household' if str(g.unit).startswith('H') else 'person'} paid "
            f"{format_yuan(int(g.amount_fen))} yuan in {g.program}, above the monthly standard"
            f" of {format_yuan(int(g.cap))} yuan"
            for g in records(groups)
        ],
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
    rows = ctx.frame(
        _SELECT
        + ", r.birth_date, r.id_number "
        + PAYMENTS_OF_PERIOD
        + f" AND b.program IN ({listed})",
        (ctx.period,),
        [*_COLUMNS, "birth_date", "id_number"],
    )
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
    return _per_recipient(
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

RULES = (M01, M02, M03, M04, M05, M06, M07, M08, M09, M10)
