"""Kept totals: each account's balance (``account_balances``) and each return file's
outcomes per batch (``return_outcome_counts``), kept in the transaction that writes the
rows they sum, so that the console's trial balance and batch pages read a few rows.

They are derived data, not a record: every journal write path adds its postings with
``add_postings`` (one ``INSERT ... SELECT ... GROUP BY`` upsert per call, whatever the
number of postings), the reconciliation adds a return file's outcomes with
``add_outcomes`` (one ``INSERT ... SELECT`` per import), and ``problems`` recomputes both
from the postings and the outcomes and names the first difference (``ledger audit
verify``). ``rebuild`` recomputes them whole (the migration that creates them; a bench
that writes its rows with raw SQL).
"""

from __future__ import annotations

import sqlalchemy as sa

# Per account, from the postings (debit-positive): balance, debits, credits, postings.
_BALANCE_SUMS = (
    "SELECT account_id, SUM(amount_fen) AS balance_fen,"
    " SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END) AS debits_fen,"
    " SUM(CASE WHEN amount_fen < 0 THEN amount_fen ELSE 0 END) AS credits_fen,"
    " COUNT(*) AS postings FROM postings WHERE {where} GROUP BY account_id"
)
_BALANCE_COLUMNS = "account_id, balance_fen, debits_fen, credits_fen, postings"

# Per return file, batch and outcome, from the outcomes: lines, and the amount of the
# instructions they answer.
_OUTCOME_SUMS = (
    "SELECT o.return_file_id, i.batch_id, o.outcome, COUNT(*) AS lines,"
    " SUM(i.amount_fen) AS amount_fen FROM instruction_outcomes o"
    " JOIN payment_instructions i ON i.id = o.instruction_id WHERE {where}"
    " GROUP BY o.return_file_id, i.batch_id, o.outcome"
)
_OUTCOME_COLUMNS = "return_file_id, batch_id, outcome, lines, amount_fen"


def add_postings(connection: sa.Connection, first_transaction: int, last_transaction: int) -> None:
    """Add the postings of transactions ``first_transaction``..``last_transaction`` (just
    written, in this database transaction) to the kept balances: one upsert. Read by the
    postings' (transaction_id, account_id) index."""
    sums = _BALANCE_SUMS.format(
        where=f"transaction_id BETWEEN {int(first_transaction)} AND {int(last_transaction)}"
    )
    connection.exec_driver_sql(
        f"INSERT INTO account_balances ({_BALANCE_COLUMNS}) {sums}"
        " ON CONFLICT (account_id) DO UPDATE SET"
        " balance_fen = account_balances.balance_fen + excluded.balance_fen,"
        " debits_fen = account_balances.debits_fen + excluded.debits_fen,"
        " credits_fen = account_balances.credits_fen + excluded.credits_fen,"
        " postings = account_balances.postings + excluded.postings"
    )


def add_outcomes(connection: sa.Connection, return_file_id: int) -> None:
    """Count the outcomes of one return file (all written by its import, just now) per
    batch and outcome: one ``INSERT ... SELECT``."""
    sums = _OUTCOME_SUMS.format(where=f"o.return_file_id = {int(return_file_id)}")
    connection.exec_driver_sql(f"INSERT INTO return_outcome_counts ({_OUTCOME_COLUMNS}) {sums}")


def rebuild(connection: sa.Connection) -> None:
    """Recompute both kept tables from the postings and the outcomes."""
    connection.exec_driver_sql("DELETE FROM account_balances")
    connection.exec_driver_sql(
        f"INSERT INTO account_balances ({_BALANCE_COLUMNS}) {_BALANCE_SUMS.format(where='1 = 1')}"
    )
    connection.exec_driver_sql("DELETE FROM return_outcome_counts")
    connection.exec_driver_sql(
        f"INSERT INTO return_outcome_counts ({_OUTCOME_COLUMNS})"
        f" {_OUTCOME_SUMS.format(where='1 = 1')}"
    )


def _differences(connection: sa.Connection, kept: str, computed: str, key: str) -> list[tuple]:
    """Rows of ``kept`` that the recomputation does not give, and rows it gives that
    ``kept`` lacks (or holds otherwise), ordered by ``key``."""
    sql = (
        f"SELECT 'kept' AS side, d.* FROM ({kept} EXCEPT {computed}) d"
        f" UNION ALL SELECT 'computed', e.* FROM ({computed} EXCEPT {kept}) e"
        f" ORDER BY {key}, side"
    )
    return [tuple(r) for r in connection.exec_driver_sql(sql)]


def _balance_problem(connection: sa.Connection) -> str | None:
    rows = _differences(
        connection,
        f"SELECT {_BALANCE_COLUMNS} FROM account_balances",
        _BALANCE_SUMS.format(where="1 = 1"),
        "account_id",
    )
    if not rows:
        return None
    differing = {r[1] for r in rows}
    first = rows[0][1]
    name = connection.exec_driver_sql(f"SELECT name FROM accounts WHERE id = {int(first)}").scalar()
    sides = {r[0]: r for r in rows if r[1] == first}

    def said(side: str, words: str) -> str:
        row = sides.get(side)
        if row is None:
            return f"{words} no row"
        return (
            f"{words} balance {row[2]} fen (debits {row[3]}, credits {row[4]}, {row[5]} postings)"
        )

    return (
        f"account_balances: {len(differing)} account(s) differ from their postings; first"
        f" {name or first!r}: {said('kept', 'kept')}, {said('computed', 'the postings give')}"
    )


def _outcome_problem(connection: sa.Connection) -> str | None:
    rows = _differences(
        connection,
        f"SELECT {_OUTCOME_COLUMNS} FROM return_outcome_counts",
        _OUTCOME_SUMS.format(where="1 = 1"),
        "return_file_id, batch_id, outcome",
    )
    if not rows:
        return None
    differing = {(r[1], r[2], r[3]) for r in rows}
    first = (rows[0][1], rows[0][2], rows[0][3])
    sides = {r[0]: r for r in rows if (r[1], r[2], r[3]) == first}

    def said(side: str, words: str) -> str:
        row = sides.get(side)
        return f"{words} no row" if row is None else f"{words} {row[4]} lines, {row[5]} fen"

    return (
        f"return_outcome_counts: {len(differing)} count(s) differ from the outcomes; first"
        f" return file {first[0]}, batch {first[1]}, {first[2]}: {said('kept', 'kept')},"
        f" {said('computed', 'the outcomes give')}"
    )


def problems(connection: sa.Connection) -> list[tuple[str, str]]:
    """(table, message) for each kept table that differs from its recomputation."""
    out = []
    for table, check in (
        ("account_balances", _balance_problem),
        ("return_outcome_counts", _outcome_problem),
    ):
        message = check(connection)
        if message is not None:
            out.append((table, message))
    return out
