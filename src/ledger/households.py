"""Household payments (按户发放, issue 18; docs/ledger.md "Household payments").

A program whose county.toml says ``pay_to = "household"`` is paid per household to the
户主's card (按户补贴为户主开卡), as the 一卡通 rules allow; ``"person"`` (the
default) pays each recipient to their own card (按人补贴为补贴对象开卡).

In a household program every member keeps an entitlement of their own (the roster's
monthly amount); the bank gets ONE instruction per household: to the head's card (the
account on the head's roster row), for the sum of the members' entitlements, naming
the head's entitlement. ``household_shares`` links every member's entitlement to it.
The household's money is one payment in the journal: the accrual credits the head's
payable (``Liabilities:Payable:{program}:{head}``) with the household's total, and
settlement, return, re-issue and cancellation move it as they move any payment; the
shares say whose entitlements it pays. A failed household payment leaves every
member's entitlement unpaid; a cancelled one cancels them all.

The head is the member whose roster row says 是 in 是否户主 (``household_head``). A
``batch run`` is refused, with nothing created, when a household of a household
program has no head or two among its members entitled that month, or its members are
at two banks or in two places.
"""

from collections.abc import Collection, Sequence
from datetime import datetime

import sqlalchemy as sa

from ledger.batches import period_start
from ledger.county import County
from ledger.db import households_store as store
from ledger.db.batches_store import Group
from ledger.db.bulk import fetch_all
from ledger.errors import ValidationError
from ledger.money import format_yuan

HOUSEHOLD = "household"


def household_programs(county: County) -> set[str]:
    """The programs paid per household (``pay_to = "household"``)."""
    return {p.code for p in county.programs.values() if p.pay_to == HOUSEHOLD}


def per_person_caps(county: County) -> dict[str, int]:
    """The household programs whose monthly cap is per person (``paid_per``): their
    cap is checked on each member's share, not on the household's instruction."""
    return {
        p.code: p.monthly_cap_fen
        for p in county.programs.values()
        if p.pay_to == HOUSEHOLD and p.paid_per == "person" and p.monthly_cap_fen > 0
    }


def check_groups(connection: sa.Connection, county: County, groups: Sequence[Group]) -> None:
    """Refuse the run (nothing created) when a household of the new groups cannot be
    paid as one household payment."""
    programs = household_programs(county)
    pairs = [(g.program, g.bank) for g in groups if g.program in programs]
    problems = []
    for program, household, heads, banks, places in store.household_problems(
        connection, pairs, programs
    ):
        where = f"{program} household {household}"
        if heads == 0:
            problems.append(
                f"{where}: no 户主 among its members entitled this month "
                "(mark the head 是 in the roster's 是否户主 column)"
            )
        elif heads > 1:
            problems.append(f"{where}: {heads} members are marked 户主; one household has one")
        if banks > 1:
            problems.append(
                f"{where}: members at {banks} banks; a household is paid to the 户主's card"
            )
        if places > 1:
            problems.append(f"{where}: members in {places} villages; a household lives in one")
    if problems:
        raise ValidationError(
            "households of a program paid per household (county.toml pay_to) cannot be "
            "paid; nothing was created:",
            problems,
        )


def household_batches(
    connection: sa.Connection, county: County, batch_ids: Collection[int]
) -> list[int]:
    """The batches, of ``batch_ids``, of household programs."""
    programs = household_programs(county)
    if not batch_ids or not programs:
        return []
    ids = ", ".join(str(int(b)) for b in sorted(batch_ids))
    rows = fetch_all(connection, f"SELECT id, program FROM batches WHERE id IN ({ids})")
    return sorted(int(i) for i, p in rows if p in programs)


def add_to_run(
    connection: sa.Connection, county: County, batch_ids: Collection[int], e2e_prefix: str
) -> int:
    """The household instructions (and shares) of the new regular batches; returns how
    many instructions."""
    return store.insert_household_instructions(
        connection, household_batches(connection, county, batch_ids), e2e_prefix
    )


def screen_members(
    connection: sa.Connection,
    county: County,
    period: str,
    batch_ids: Collection[int],
    now: datetime,
) -> None:
    """Hold rows for the members a household instruction pays besides its payee (the
    head, whom ``holds.screen_batches`` screens): reported dead, or above a per-person
    cap. ``holds.screen_batches``, run next, sets those instructions ``held``."""
    ids = household_batches(connection, county, batch_ids)
    store.hold_deceased_members(connection, ids, period_start(period), now)
    store.hold_members_above_cap(connection, ids, per_person_caps(county), now)


def cancel_members(connection: sa.Connection, household_entitlement_id: int) -> int:
    """Cancel the members' entitlements of a cancelled household payment."""
    return store.cancel_member_entitlements(connection, household_entitlement_id)


def sheet_line(connection: sa.Connection, batch_id: int) -> dict[str, object] | None:
    """The approval sheet's line for a batch's household payments (None: it has none)."""
    count, members, total = store.share_totals(connection, batch_id, institutions=False)
    if not count:
        return None
    return {"count": count, "members": members, "total": format_yuan(total, thousands=True)}
