"""The trial balance from the kept balances (``account_balances`` and
``payable_rollups``, kept by every journal write path; see ``ledger.db.kept_totals``):
the shared accounts (treasury, appropriations, expenses, clearing: a few hundred rows),
the payables per program and township (one row per township, whatever the number of
recipients), or those of one township listed. Only today's balances are kept: a trial
balance as of a past date is summed from the postings (``ledger.db.balances``).
"""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledger.db import kept_totals
from ledger.db.balances import Balance
from ledger.db.bulk import fetch_all

PAYABLE = "Liabilities:Payable:"
# Account names from PAYABLE up to (not including) this bound are the payables: a range
# of the unique index on accounts.name (';' follows ':').
_PAYABLE_END = "Liabilities:Payable;"


@dataclass(frozen=True, slots=True)
class PayableSum:
    """The payables of one program and township (None: no current enrolment)."""

    program: str
    township: str | None
    balance_fen: int
    debits_fen: int
    credits_fen: int
    accounts: int


def shared_balances(connection: sa.Connection) -> list[Balance]:
    """Every account with postings that is not a recipient's payable, by name."""
    rows = fetch_all(
        connection,
        "SELECT a.name, a.kind, k.balance_fen, k.debits_fen, k.credits_fen"
        " FROM accounts a JOIN account_balances k ON k.account_id = a.id"
        " WHERE a.name < ? OR a.name >= ? ORDER BY a.name",
        (PAYABLE, _PAYABLE_END),
    )
    return [Balance(str(n), str(kind), int(b), int(d), int(c)) for n, kind, b, d, c in rows]


# A payable's township: that of its recipient's current enrolment in its program.
_PAYABLES = (
    " FROM accounts a JOIN account_balances k ON k.account_id = a.id"
    " LEFT JOIN recipients r ON r.key = a.recipient"
    " LEFT JOIN enrolments e ON e.recipient_id = r.id AND e.program = a.program"
    " AND e.valid_to_import IS NULL"
    " WHERE a.name >= ? AND a.name < ?"
)


def payables_by_township(connection: sa.Connection) -> list[PayableSum]:
    """From the kept roll-up (a row per township) when it was made with today's
    enrolments; else summed here from the kept balances (a roster import since the last
    journal write, e.g. an older ledger's legacy rows)."""
    if kept_totals.rollup_is_fresh(connection):
        kept = fetch_all(
            connection,
            "SELECT program, township, balance_fen, debits_fen, credits_fen, accounts"
            " FROM payable_rollups ORDER BY program, township",
        )
        return [
            PayableSum(str(p), str(t) or None, int(b), int(d), int(c), int(n))
            for p, t, b, d, c, n in kept
        ]
    rows = fetch_all(
        connection,
        "SELECT a.program, e.township, SUM(k.balance_fen), SUM(k.debits_fen),"
        f" SUM(k.credits_fen), COUNT(*){_PAYABLES} GROUP BY a.program, e.township",
        (PAYABLE, _PAYABLE_END),
    )
    return [
        PayableSum(str(p), None if t is None else str(t), int(b), int(d), int(c), int(n))
        for p, t, b, d, c, n in rows
    ]


def payables_of_township(
    connection: sa.Connection, program: str, township: str | None, limit: int | None = None
) -> list[tuple[str, Balance]]:
    """(recipient key, balance) of each payable of one program and township, by key;
    the first ``limit``. A township's are found from its current enrolments (the
    (program, township) index), the payable by its name; those of no current
    enrolment (``township`` None) from the payables."""
    tail = "" if limit is None else f" LIMIT {int(limit)}"
    columns = "r.key, a.name, a.kind, k.balance_fen, k.debits_fen, k.credits_fen"
    if township is None:
        sql = (
            f"SELECT {columns}{_PAYABLES} AND a.program = ? AND e.id IS NULL"
            f" ORDER BY a.recipient{tail}"
        )
        params: tuple[Any, ...] = (PAYABLE, _PAYABLE_END, program)
    else:
        sql = (
            f"SELECT {columns} FROM enrolments e JOIN recipients r ON r.id = e.recipient_id"
            f" JOIN accounts a ON a.name = '{PAYABLE}' || e.program || ':' || r.key"
            " JOIN account_balances k ON k.account_id = a.id"
            " WHERE e.program = ? AND e.township = ? AND e.valid_to_import IS NULL"
            f" ORDER BY r.key{tail}"
        )
        params = (program, township)
    return [
        (str(key), Balance(str(n), str(kind), int(b), int(d), int(c)))
        for key, n, kind, b, d, c in fetch_all(connection, sql, params)
    ]
