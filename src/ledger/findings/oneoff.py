"""临时救助 one-off cases (issue 18): repeated cases to one household (M15), cases paid
to a person on the lists (M16), and cases concentrated on one operator or village of a
township (M17). Each looks at the one-off payments of the period (kind ``oneoff``
entitlements, ``t.case_id``); without an ``[oneoff]`` section none finds anything."""

from typing import Any

import pandas as pd

from ledger.findings.base import Context, Rule, empty, finish, period_end
from ledger.findings.blocks import latest_list, payments, per_recipient

# A one-off payment: its case (``c``, through the entitlement ``t``) and household.
_CASE = {"case_id": "c.id", "household_id": "c.household_id"}
_CASE_JOIN = (
    " JOIN entitlements t ON t.id = i.entitlement_id JOIN oneoff_cases c ON c.id = t.case_id"
)


def _year_cases(ctx: Context) -> str:
    """Cases dated in the period's year up to its end (``c2``), for a household."""
    return (
        "SELECT COUNT(*) FROM oneoff_cases c2 WHERE c2.household_id = c.household_id"
        f" AND c2.case_date BETWEEN '{ctx.start.year}-01-01' AND '{period_end(ctx.period)}'"
    )


def _repeated(ctx: Context) -> pd.DataFrame:
    rules = ctx.county.oneoff
    if rules is None:
        return empty()
    limit = rules.household_year_cases
    cases = f"({_year_cases(ctx)})"
    rows = payments(ctx, {**_CASE, "cases": cases}, _CASE_JOIN, f" AND {cases} > {int(limit)}")
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            f"household {g.household_id}: {g.cases} one-off cases in {ctx.start.year}, more "
            f"than the {limit} allowed ([oneoff] household_year_cases)"
        ),
        evidence=lambda g: {"household": g.household_id, "cases_in_year": int(g.cases)},
        severity="medium",
    )


M15 = Rule(
    id="M15",
    category="misappropriated",
    title_zh="临时救助重复申领",
    title_en="Repeated one-off assistance to one household",
    data=("oneoff_cases", "entitlements", "payment_instructions"),
    checks=(
        "One-off (临时救助) payments of the period to a household that has more cases dated "
        "in the period's year, up to its end, than county.toml [oneoff] household_year_cases."
    ),
    detect=_repeated,
    thresholds=("oneoff.household_year_cases",),
    severity="medium",
    amount="the period's one-off payments to the household's applicant",
)


def _on_lists(ctx: Context) -> pd.DataFrame:
    if ctx.county.oneoff is None:
        return empty()
    dead = payments(
        ctx,
        {**_CASE, "day": "d.death_date", "source": "d.source"},
        _CASE_JOIN + " JOIN ref_deaths d ON d.id = (SELECT MIN(x.id) FROM ref_deaths x"
        " WHERE x.id_number = r.id_number AND x.death_date < c.case_date)",
    ).assign(list="deaths")
    staff = payments(
        ctx,
        {**_CASE, "day": "NULL", "source": "s.employer"},
        _CASE_JOIN + " JOIN ref_staff s ON s.id = (SELECT MIN(x.id) FROM ref_staff x"
        f" WHERE x.id_number = r.id_number AND {latest_list('x', 'staff')})",
    ).assign(list="staff")
    rows = pd.concat([dead, staff], ignore_index=True)
    rows = rows.drop_duplicates("instruction_id")  # dead first: the graver one

    def say(g: Any) -> str:
        if g.list == "deaths":
            return f"one-off case {g.case_id} paid though reported dead on {g.day} ({g.source})"
        return f"one-off case {g.case_id} paid to a public employee ({g.source})"

    return per_recipient(
        ctx, rows, say, evidence=lambda g: {"case_id": int(g.case_id), "list": g.list}
    )


M16 = Rule(
    id="M16",
    category="misappropriated",
    title_zh="临时救助发给名单人员",
    title_en="One-off assistance to a person on the lists",
    data=("oneoff_cases", "payment_instructions", "ref_deaths", "ref_staff (latest)"),
    checks=(
        "One-off payments of the period whose applicant the death registry reports dead "
        "before the case's date, or who is on the latest staff list (公职人员)."
    ),
    detect=_on_lists,
    amount="the period's one-off payments to the applicant",
)


def _concentrated(ctx: Context) -> pd.DataFrame:
    rules = ctx.county.oneoff
    if rules is None:
        return empty()
    cases = ctx.frame(
        "SELECT c.id, c.township, c.village, c.created_by_key, c.amount_fen FROM oneoff_cases c"
        " WHERE c.case_date BETWEEN ? AND ? AND EXISTS (SELECT 1 FROM entitlements t"
        " WHERE t.case_id = c.id AND t.status <> 'voided')",
        (ctx.start.replace(month=1, day=1), period_end(ctx.period)),
        ["case_id", "township", "village", "operator", "amount_fen"],
    )
    if cases.empty:
        return empty()
    found = []
    for township, group in cases.groupby("township", sort=True):
        total = len(group)
        if total < rules.concentration_min_cases:
            continue
        shares = []
        for column in ("operator", "village"):
            counts = group[column].astype(str).value_counts()
            # The largest share; a tie goes to the first code, so runs agree.
            top, n = min(counts.items(), key=lambda item: (-int(item[1]), item[0]))
            n = int(n)
            # Integer arithmetic: n / total > percent / 100.
            if n * 100 > rules.concentration_percent * total:
                mine = group[group[column] == top]
                shares.append((column, top, n, mine))
        if shares:
            chosen = pd.concat([m for *_, m in shares]).drop_duplicates("case_id")
            found.append(
                {
                    "township": township,
                    "total": total,
                    "shares": [(c, top, n) for c, top, n, _ in shares],
                    "amount_fen": int(chosen["amount_fen"].sum()),
                    "case_ids": sorted(int(c) for c in chosen["case_id"])[:50],
                }
            )
    if not found:
        return empty()
    frame = pd.DataFrame(found)
    words = {"operator": "added by operator", "village": "in village"}
    return finish(
        frame,
        subject_type="township",
        subject_id=frame["township"],
        period=ctx.period,
        amount_fen=frame["amount_fen"],
        township=frame["township"],
        program=pd.Series([rules.program] * len(frame)),
        severity="medium",
        evidence=lambda g: {
            "of": int(g.total),
            "case_ids": g.case_ids,
            **{f"by_{c}": {"value": top, "cases": n} for c, top, n in g.shares},
        },
        summary=lambda g: (
            f"of the {g.total} one-off cases of {g.township} in {ctx.start.year}, "
            + " and ".join(f"{n} are {words[c]} {top}" for c, top, n in g.shares)
            + f": above {rules.concentration_percent}%"
        ),
    )


M17 = Rule(
    id="M17",
    category="misappropriated",
    title_zh="临时救助集中于个别经办人或村",
    title_en="One-off assistance concentrated on one operator or village",
    data=("oneoff_cases", "entitlements"),
    checks=(
        "A township whose paid one-off cases of the period's year (up to its end) number at "
        "least [oneoff] concentration_min_cases, more than concentration_percent of them "
        "added by one operator or in one village (优亲厚友 risk)."
    ),
    detect=_concentrated,
    thresholds=("oneoff.concentration_percent", "oneoff.concentration_min_cases"),
    subject="township",
    severity="medium",
    amount="the one-off cases of that operator or village",
)

RULES = (M15, M16, M17)
