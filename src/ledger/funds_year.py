"""Year end (``ledger funds close-year YYYY``): carry over or return each source's rest.

After the year's last period (YYYY-12) is closed, per program × source the money left
in the year's allocations (their remaining amount when the command runs) is carried
over into the next year (结转) or returned to the tier above (上缴), as
``[funds] year_end`` says per source; one journal transaction each, dated 1 January of
the next year (docs/ledger.md "Year end"):

- carry: type ``carryover``, Dr ``Income:Appropriation:{s}:{p}`` / Cr
  ``Income:Carryover:{s}:{p}``, recorded as an allocation of the next year (document
  ``结转YYYY``); lineage ``carry_out`` rows empty the old allocations;
- return: type ``fund_return``, Dr ``Income:Appropriation:{s}:{p}`` / Cr
  ``Assets:Treasury:{p}``; lineage ``refund`` rows empty the old allocations.

Idempotency keys ``close-year:{YYYY}:{program}:{source}``: the command run again posts
nothing more for a program × source it closed; money given back to the year's
allocations after their close (a late bank return) stays there, in the next year's
opening.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ledger import accounts
from ledger.county import County
from ledger.db import fund_lineage, period_checks
from ledger.db.accounts_store import open_accounts
from ledger.db.events import record_event
from ledger.db.journal_store import post
from ledger.db.schema import allocations, transactions
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.funds_policy import Draw
from ledger.journal import NewTransaction, PostingColumns
from ledger.money import format_yuan


@dataclass(frozen=True)
class YearEndEntry:
    program: str
    source: str
    action: str  # carry or return
    amount_fen: int
    transaction_id: int


def close_year(uow: UnitOfWork, county: County, year: int, *, operator: str) -> list[YearEndEntry]:
    """Post the year end of ``year`` and commit; return the entries posted."""
    connection = uow.connection
    last = f"{year:04d}-12"
    if not period_checks.is_closed(connection, last):
        raise LedgerError(
            f"the year {year} cannot be closed before its last period: close {last} first "
            f"(`ledger journal close-period {last}`)"
        )
    day = date(year + 1, 1, 1)
    negative = [p.code for p in county.programs.values() if p.treasury_may_go_negative]
    entries: list[YearEndEntry] = []
    programs = sorted(
        {str(p) for (p,) in connection.execute(sa.select(allocations.c.program).distinct())}
    )
    for program in programs:
        left = fund_lineage.remaining(connection, program, as_of=date(year, 12, 31))
        for source in [*county.sources, *sorted({r.source for r in left} - set(county.sources))]:
            mine = [r for r in left if r.source == source]
            total = sum(r.amount_fen for r in mine)
            if total == 0:
                continue
            key = f"close-year:{year}:{program}:{source}"
            done = connection.execute(
                sa.select(transactions.c.id).where(transactions.c.idempotency_key == key)
            ).first()
            if done is not None:
                # Closed before; money given back to the year's allocations since (a late
                # bank return) stays there: the next year's opening shows it.
                continue
            action = county.funds.year_end_of(source)
            appropriation = accounts.appropriation(source, program)
            other = (
                accounts.carryover(source, program)
                if action == "carry"
                else accounts.treasury(program)
            )
            open_accounts(connection, [appropriation, other], treasury_negative_programs=negative)
            name = county.sources.get(source, source)
            words = "结转下年" if action == "carry" else "上缴/收回"
            recorded = post(
                connection,
                NewTransaction(
                    type="carryover" if action == "carry" else "fund_return",
                    effective_date=day,
                    description=(
                        f"{year}年度结余{words} {name} {program} {format_yuan(total)}"
                        f" (year end {year}: {'carried over' if action == 'carry' else 'returned'})"
                    ),
                    operator=operator,
                    postings=PostingColumns(
                        accounts=[appropriation, other], amounts_fen=[total, -total]
                    ),
                    idempotency_key=key,
                ),
            )
            if not recorded.created:
                continue
            kind = "carry_out" if action == "carry" else "refund"
            draws = [Draw(r.allocation_id, r.source, r.amount_fen) for r in mine]
            fund_lineage.insert_rows(connection, recorded.id, program, kind, draws)
            if action == "carry":
                connection.execute(
                    allocations.insert().values(
                        transaction_id=recorded.id,
                        source=source,
                        program=program,
                        doc_number=f"结转{year}",
                        amount_fen=total,
                        allocation_date=day,
                        note=f"carried over from {year}",
                    )
                )
            entries.append(YearEndEntry(program, source, action, total, recorded.id))
    record_event(
        connection,
        operator=operator,
        action="funds.year_closed",
        subject_type="year",
        subject_id=str(year),
        detail={
            "entries": [
                {
                    "program": e.program,
                    "source": e.source,
                    "action": e.action,
                    "amount_fen": e.amount_fen,
                    "transaction_id": e.transaction_id,
                }
                for e in entries
            ]
        },
    )
    uow.commit()
    return entries
