"""Allocations in the database (their rows; the posting is ``ledger.allocations``), and
where each program's money is (``ledger funds status``).

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

from ledger.db.schema import allocations


def insert_allocation(
    connection: sa.Connection,
    *,
    transaction_id: int,
    source: str,
    program: str,
    doc_number: str,
    amount_fen: int,
    allocation_date: date,
    note: str | None,
) -> None:
    """The ``allocations`` row of a posted allocation (``ledger.allocations.record``)."""
    connection.execute(
        allocations.insert().values(
            transaction_id=transaction_id,
            source=source,
            program=program,
            doc_number=doc_number,
            amount_fen=amount_fen,
            allocation_date=allocation_date,
            note=note,
        )
    )


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
