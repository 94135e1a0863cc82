"""Planted withholding (DESIGN §6, 滞留): money that does not reach the recipient.

Payments left in clearing (处理中 never resolved), failures never followed up, an
allocation never used; the fluctuation of a township's roster (大起大落); and the
ordinary bank failures of every month, which are followed up (not anomalies).
"""

from ledger.demo.catalogue import (
    CASH_BANK,
    CASH_PAYEES,
    CLOSED_PER_MONTH,
    COUNTS,
    FROZEN_PER_MONTH,
    NEGLECTED_BANK,
)
from ledger.demo.plan import Planting, person


def plant(p: Planting) -> list[int]:
    """The withheld kinds and the township jump; returns the people whose month-1
    failures are never followed up (``plant_ordinary_failures`` fails them)."""
    frame, plan = p.frame, p.plan
    stuck = p.pick(COUNTS["clearing_unresolved"], bank="ICBC")
    plan.pending[p.first] = {str(frame.loc[i, "银行账号"]) for i in stuck}
    plan.add(
        "withheld",
        "clearing_unresolved",
        "资金滞留银行 / clearing unresolved",
        "the ICBC return of month 1 says 处理中 and nothing resolves it: money stays in "
        "BankClearing (also 'unpaid after N days')",
        subjects=[person(frame, i) for i in stuck],
        month=p.first,
    )
    neglected = p.pick(COUNTS["failed_not_followed_up"], bank=NEGLECTED_BANK)
    plan.add(
        "withheld",
        "failed_not_followed_up",
        "失败未处理 / failed payment not followed up",
        f"{NEGLECTED_BANK} failures of month 1 (closed, frozen) never re-issued or cancelled",
        subjects=[person(frame, i) for i in neglected],
        month=p.first,
    )
    plan.add(
        "withheld",
        "idle_funds",
        "资金闲置 / idle treasury funds",
        f"an allocation to {plan.idle_program} dated 120 days before month 1, never used",
        subjects=[{"type": "program", "program": plan.idle_program}],
    )
    if p.months >= 2:
        plan.add(
            "fluctuation",
            "township_jump",
            "大起大落 / township roster jumps",
            f"{plan.jump_township}: 50% more recipients in month 2",
            subjects=[
                {"type": "township", "township": plan.jump_township, "period": plan.periods[1]}
            ],
            month=plan.periods[1],
        )
    return neglected


def plant_ordinary_failures(p: Planting, neglected: list[int]) -> None:
    """Each month's closed and frozen accounts (followed up), with month 1's failures
    of ``neglected`` (never followed up)."""
    frame, plan = p.frame, p.plan
    for k, period in enumerate(plan.periods):
        closed = {str(frame.loc[i, "银行账号"]) for i in p.pick(CLOSED_PER_MONTH, not_bank="RCC")}
        frozen = {str(frame.loc[i, "银行账号"]) for i in p.pick(FROZEN_PER_MONTH, not_bank="RCC")}
        if k == 0:
            closed.add(str(frame.loc[neglected[0], "银行账号"]))
            frozen.update(str(frame.loc[i, "银行账号"]) for i in neglected[1:])
        plan.closed[period], plan.frozen[period] = closed, frozen


def plant_cash(p: Planting) -> None:
    """People without an account, paid in cash (现金发放) every month against a signed
    list; in month 1 the paying officer keeps the cash of one of them: the signed list
    comes back with that line 待领取 and it never changes (W07)."""
    frame, plan = p.frame, p.plan
    cash = p.pick(CASH_PAYEES, bank="ICBC")
    frame.loc[cash, "开户银行"] = CASH_BANK
    frame.loc[cash, "银行账号"] = ""
    kept = cash[: COUNTS["cash_unsigned"]]
    plan.uncollected[p.first] = {str(frame.loc[i, "身份证号"]) for i in kept}
    plan.add(
        "withheld",
        "cash_unsigned",
        "现金发放未签收 / cash not signed for",
        f"{CASH_PAYEES} people without an account are paid in cash; in month 1 the signed "
        "list leaves one line 待领取 (the officer keeps the cash) and nothing resolves it",
        subjects=[person(frame, i) for i in kept],
        month=p.first,
    )
