"""集中供养 institution payments (issue 18; docs/ledger.md "集中供养 institutions").

A 特困 resident living in a care institution (roster column 供养机构, a county.toml
``[institutions.CODE]``) keeps an entitlement of their own at their roster amount, but
the bank gets ONE instruction per institution and batch: to the institution's account
(county.toml), for the sum of its residents' entitlements. It is built like a household
payment (``ledger.households``): the instruction names one entitlement, the carrier
(the institution's first resident in the batch, lowest entitlement id), and
``household_shares`` links every resident's entitlement to it; ``institution_payments``
says the carrier's shares are an institution's. The journal moves the carrier's
payable (``Liabilities:Payable:{program}:{carrier}``) for the institution's total, as
it moves a household head's: settlement, return, re-issue and cancellation need no
rule of their own, and a cancellation cancels every resident's entitlement.

A resident reported dead before the period is left out of the institution's line: their
entitlement is paid by a line of its own (to the institution's account), held
``deceased``; the living residents' money goes out.

``batch run`` is refused, with nothing created, when a resident's institution is not in
county.toml, is at another bank than the resident's roster row (the batch's bank), or
the resident's program pays per household.
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.batches import mask, period_start
from ledger.county import County
from ledger.db import institutions_store as store
from ledger.db.batches_store import Group
from ledger.db.bulk import fetch_all
from ledger.db.households_store import hold_members_above_cap, share_totals
from ledger.errors import ValidationError
from ledger.households import household_programs
from ledger.money import format_yuan


def check_groups(connection: sa.Connection, county: County, groups: Sequence[Group]) -> None:
    """Refuse the run (nothing created) when a staged resident of the new groups cannot
    be paid through their institution."""
    if not store.any_residents(connection):
        return
    new = {(g.program, g.bank) for g in groups}
    per_household = household_programs(county)
    problems = []
    for program, bank, code, key, count in store.staged_problems(connection):
        if (program, bank) not in new:
            continue
        where = f"{program} {bank}: {count} resident(s) of institution {code!r} (first {key})"
        institution = county.institutions.get(code)
        if institution is None:
            problems.append(
                f"{where}: the institution is not in county.toml [institutions] "
                f"(known: {', '.join(sorted(county.institutions)) or 'none'})"
            )
            continue
        if institution.bank != bank:
            problems.append(
                f"{where}: the institution's account is at {institution.bank} "
                f"(institutions.{code}.bank), the residents' roster rows at {bank}; "
                "the institution line goes in the batch of its residents' bank"
            )
        if program in per_household:
            problems.append(
                f"{where}: program {program} pays per household (pay_to); a resident of "
                "an institution is paid to the institution"
            )
    if problems:
        raise ValidationError(
            "residents of a care institution (roster 供养机构) cannot be paid; "
            "nothing was created:",
            problems,
        )


def unstage_deductions(connection: sa.Connection, staged: str | None) -> str | None:
    """The run's staged deductions less the residents' (a resident's deduction waits:
    the institution is paid one instruction for every resident)."""
    if staged is not None and store.any_residents(connection):
        store.unstage_deductions(connection, staged)
    return staged


def add_to_run(
    connection: sa.Connection,
    county: County,
    period: str,
    batch_ids: Collection[int],
    e2e_prefix: str,
) -> int:
    """The institution instructions (shares, payments) of the new regular batches."""
    if not store.any_residents(connection):
        return 0
    accounts = {
        code: (i.township, i.bank, i.account_number, i.account_holder, i.credit_code)
        for code, i in county.institutions.items()
    }
    return store.insert_payments(
        connection, sorted(batch_ids), accounts, period_start(period), e2e_prefix
    )


def screen_residents(
    connection: sa.Connection,
    county: County,
    period: str,
    batch_ids: Collection[int],
    now: datetime,
) -> None:
    """Hold rows for the new batches' institution lines: a dead resident's, and a line
    whose resident's share is above the program's monthly cap (the line's total is its
    residents' and is never compared with the cap: ``holds.screen_batches``). That
    step, run next, sets those instructions ``held``."""
    if not store.any_payments(connection):
        return
    store.hold_deceased_residents(connection, batch_ids, period_start(period), now)
    caps = {p.code: p.monthly_cap_fen for p in county.programs.values() if p.monthly_cap_fen > 0}
    hold_members_above_cap(connection, list(batch_ids), caps, now, institutions=True)


def sheet_line(connection: sa.Connection, batch_id: int) -> dict[str, object] | None:
    """The approval sheet's line 其中：集中供养（机构） (None: the batch has none)."""
    if not store.any_payments(connection):
        return None
    lines, residents, total = share_totals(connection, batch_id, institutions=True)
    if not lines:
        return None
    institutions = fetch_all(
        connection,
        "SELECT COUNT(DISTINCT p.institution) FROM payment_instructions i"
        " JOIN institution_payments p ON p.entitlement_id = i.entitlement_id"
        " WHERE i.batch_id = ?",
        (int(batch_id),),
    )[0][0]
    return {
        "count": int(institutions),
        "lines": lines,
        "residents": residents,
        "total": format_yuan(total, thousands=True),
    }


def residents_context(
    connection: sa.Connection, county: County, batch_id: int, *, unmask: bool = False
) -> dict[str, Any]:
    """The residents attachment's lines: each institution line of the batch with its
    residents and their shares; a line's residents add up to the line."""
    lines: list[dict[str, Any]] = []
    townships = {code: t.name for code, t in county.townships.items()}
    for row in store.batch_residents(connection, batch_id):
        values = dict(zip(store.RESIDENT_COLUMNS, row, strict=True))
        if not lines or lines[-1]["line"] != values["line_number"]:
            institution = county.institutions.get(values["institution"])
            lines.append(
                {
                    "line": int(values["line_number"]),
                    "status": values["status"],
                    "code": values["institution"],
                    "name": institution.name if institution else values["institution"],
                    "account": values["account_number"]
                    if unmask
                    else mask(values["account_number"]),
                    "holder": values["account_holder"],
                    "line_fen": int(values["line_fen"]),
                    "amount": format_yuan(int(values["line_fen"]), thousands=True),
                    "residents": [],
                    "sum_fen": 0,
                }
            )
        line = lines[-1]
        line["residents"].append(
            {
                "key": values["key"],
                "name": values["name"],
                "id_number": values["id_number"] if unmask else mask(values["id_number"]),
                "township": townships.get(values["township"], values["township"]),
                "amount": format_yuan(int(values["share_fen"]), thousands=True),
            }
        )
        line["sum_fen"] += int(values["share_fen"])
    for line in lines:
        if line["sum_fen"] != line["line_fen"]:  # the shares are written with the line
            raise ValidationError(
                f"batch {batch_id} line {line['line']}: the residents' shares add up to "
                f"{format_yuan(line['sum_fen'])}, the line is {line['amount']} yuan"
            )
    total = sum(int(line["line_fen"]) for line in lines)
    return {
        "lines": lines,
        "line_count": len(lines),
        "resident_count": sum(len(line["residents"]) for line in lines),
        "total": format_yuan(total, thousands=True),
        "masked": not unmask,
    }
