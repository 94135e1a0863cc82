"""Recording allocations, and where each program's money is (``ledger funds status``).

Status comes from the journal alone, by account family, so it holds whatever code posted
the entries (DESIGN §3):
- allocated = credits net of debits to ``Income:Appropriation:{source}:{program}``;
- sent to the bank = credits to ``Assets:Treasury:{program}`` in transactions that also
  post to ``Assets:BankClearing`` (an export), net of debits there (failed payments
  returned);
- disbursed = debits to ``Liabilities:Payable:{program}:*`` in transactions that post to
  ``Assets:BankClearing`` (the bank confirmed payment to the recipient);
- in the bank = sent - disbursed; available = the ``Assets:Treasury:{program}`` balance.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa

from ledger.county import County
from ledger.db.accounts_store import open_accounts
from ledger.db.journal_store import Recorded, post
from ledger.db.schema import allocations
from ledger.funds import Allocation


def record(
    connection: sa.Connection, allocation: Allocation, *, operator: str, county: County
) -> Recorded:
    """Post one allocation (idempotent: the same allocation again posts nothing)."""
    tx = allocation.transaction(operator, county)
    open_accounts(
        connection,
        tx.postings.accounts,
        treasury_negative_programs=[
            p.code for p in county.programs.values() if p.treasury_may_go_negative
        ],
    )
    recorded = post(connection, tx)
    if recorded.created:
        connection.execute(
            allocations.insert().values(
                transaction_id=recorded.id,
                source=allocation.source,
                program=allocation.program,
                doc_number=allocation.doc_number,
                amount_fen=allocation.amount_fen,
                allocation_date=allocation.allocation_date,
                note=allocation.note,
            )
        )
    return recorded


def list_allocations(
    connection: sa.Connection, *, as_of: date | None = None
) -> list[dict[str, Any]]:
    query = sa.select(allocations).order_by(
        allocations.c.allocation_date, allocations.c.transaction_id
    )
    if as_of is not None:
        query = query.where(allocations.c.allocation_date <= as_of)
    return [dict(row._mapping) for row in connection.execute(query)]


_STATUS_SQL = """
WITH live AS (
    SELECT p.transaction_id, p.amount_fen, a.name, a.program, a.source
    FROM postings p
    JOIN accounts a ON a.id = p.account_id
    JOIN transactions t ON t.id = p.transaction_id
    WHERE t.effective_date <= :as_of
),
bank_tx AS (
    SELECT DISTINCT transaction_id FROM live WHERE name LIKE 'Assets:BankClearing:%'
)
SELECT 'allocated' AS measure, program, source, -SUM(amount_fen) AS amount_fen
  FROM live WHERE name LIKE 'Income:Appropriation:%' GROUP BY program, source
UNION ALL
SELECT 'available', program, NULL, SUM(amount_fen)
  FROM live WHERE name LIKE 'Assets:Treasury:%' GROUP BY program
UNION ALL
SELECT 'sent', program, NULL, -SUM(amount_fen)
  FROM live WHERE name LIKE 'Assets:Treasury:%'
   AND transaction_id IN (SELECT transaction_id FROM bank_tx) GROUP BY program
UNION ALL
SELECT 'disbursed', program, NULL, SUM(amount_fen)
  FROM live WHERE name LIKE 'Liabilities:Payable:%'
   AND transaction_id IN (SELECT transaction_id FROM bank_tx) GROUP BY program
"""


def status(connection: sa.Connection, *, as_of: date | None = None) -> dict[str, dict[str, Any]]:
    """Per program: allocated per source and in total, disbursed, in the bank, available
    (all int fen)."""
    out: dict[str, dict[str, Any]] = {}
    result = connection.execute(
        sa.text(_STATUS_SQL).bindparams(sa.bindparam("as_of", type_=sa.Date)),
        {"as_of": as_of or date(9999, 12, 31)},
    )
    for measure, program, source, amount in result:
        entry = out.setdefault(
            program,
            {"allocated_by_source": {}, "allocated": 0, "sent": 0, "disbursed": 0, "available": 0},
        )
        if measure == "allocated":
            entry["allocated_by_source"][source] = int(amount)
            entry["allocated"] += int(amount)
        else:
            entry[measure] = int(amount)
    for entry in out.values():
        entry["in_bank"] = entry["sent"] - entry["disbursed"]
    return out
