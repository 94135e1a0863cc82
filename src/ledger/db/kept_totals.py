"""Kept totals: each account's balance (``account_balances``), the payables' balances
per program and township (``payable_rollups``) and each return file's outcomes per
batch (``return_outcome_counts``), kept in the transaction that writes the rows they
sum, so that the console's trial balance and batch pages read a few rows.

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
    written, in this database transaction) to the kept balances: one upsert (read by
    the postings' (transaction_id, account_id) index), and one for the payables'
    roll-up, which is rebuilt instead when an enrolment was added since it was made."""
    # Bound values, not literals: the statements' text is the same on every call, so
    # the driver's prepared statements are reused (a ``post`` per transaction).
    marks = "%s" if connection.dialect.paramstyle in ("format", "pyformat") else "?"
    sums = _BALANCE_SUMS.format(where=f"transaction_id BETWEEN {marks} AND {marks}")
    span = (int(first_transaction), int(last_transaction))
    newest = _newest_enrolment(connection)
    fresh = _rollup_mark(connection) == newest
    if fresh:
        # Before the balances: a payable without a kept balance yet is a new account.
        connection.exec_driver_sql(
            f"INSERT INTO payable_rollups ({_ROLLUP_COLUMNS})"
            " SELECT a.program, COALESCE(e.township, ''), SUM(s.balance_fen),"
            " SUM(s.debits_fen), SUM(s.credits_fen),"
            f" SUM(CASE WHEN k.account_id IS NULL THEN 1 ELSE 0 END), {marks}"
            f" FROM ({sums}) s JOIN accounts a ON a.id = s.account_id"
            " LEFT JOIN account_balances k ON k.account_id = s.account_id"
            f"{_CURRENT_TOWNSHIP} WHERE {_IS_PAYABLE} GROUP BY a.program, e.township"
            " ON CONFLICT (program, township) DO UPDATE SET"
            " balance_fen = payable_rollups.balance_fen + excluded.balance_fen,"
            " debits_fen = payable_rollups.debits_fen + excluded.debits_fen,"
            " credits_fen = payable_rollups.credits_fen + excluded.credits_fen,"
            " accounts = payable_rollups.accounts + excluded.accounts",
            (newest, *span),
        )
    connection.exec_driver_sql(
        f"INSERT INTO account_balances ({_BALANCE_COLUMNS}) {sums}"
        " ON CONFLICT (account_id) DO UPDATE SET"
        " balance_fen = account_balances.balance_fen + excluded.balance_fen,"
        " debits_fen = account_balances.debits_fen + excluded.debits_fen,"
        " credits_fen = account_balances.credits_fen + excluded.credits_fen,"
        " postings = account_balances.postings + excluded.postings",
        span,
    )
    if not fresh:
        rebuild_rollups(connection)


# A payable (the accounts.name index's range) and its recipient's current township.
_IS_PAYABLE = "a.name >= 'Liabilities:Payable:' AND a.name < 'Liabilities:Payable;'"
_CURRENT_TOWNSHIP = (
    " LEFT JOIN recipients r ON r.key = a.recipient"
    " LEFT JOIN enrolments e ON e.recipient_id = r.id AND e.program = a.program"
    " AND e.valid_to_import IS NULL"
)
_ROLLUP_COLUMNS = (
    "program, township, balance_fen, debits_fen, credits_fen, accounts, enrolments_through"
)
# Per program and township, from the kept balances of the payables.
_ROLLUP_SUMS = (
    "SELECT a.program, COALESCE(e.township, '') AS township, SUM(k.balance_fen),"
    " SUM(k.debits_fen), SUM(k.credits_fen), COUNT(*), {newest}"
    " FROM account_balances k JOIN accounts a ON a.id = k.account_id"
    f"{_CURRENT_TOWNSHIP} WHERE {_IS_PAYABLE} GROUP BY a.program, e.township"
)


def _newest_enrolment(connection: sa.Connection) -> int:
    return int(
        connection.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM enrolments").scalar_one()
    )


def _rollup_mark(connection: sa.Connection) -> int | None:
    """The enrolment the roll-up was made with; None if empty or of mixed marks."""
    low, high = connection.exec_driver_sql(
        "SELECT MIN(enrolments_through), MAX(enrolments_through) FROM payable_rollups"
    ).one()
    return None if low is None or low != high else int(low)


def rollup_is_fresh(connection: sa.Connection) -> bool:
    """The payables' roll-up was made with today's enrolments (the reads trust it)."""
    return _rollup_mark(connection) == _newest_enrolment(connection)


def rebuild_rollups(connection: sa.Connection) -> None:
    """The payables' roll-up recomputed from the kept balances and today's enrolments
    (one ``INSERT ... SELECT``): after a roster import, or when found stale."""
    connection.exec_driver_sql("DELETE FROM payable_rollups")
    newest = _newest_enrolment(connection)
    connection.exec_driver_sql(
        f"INSERT INTO payable_rollups ({_ROLLUP_COLUMNS}) {_ROLLUP_SUMS.format(newest=newest)}"
    )


def add_outcomes(connection: sa.Connection, return_file_id: int) -> None:
    """Count the outcomes of one return file (all written by its import, just now) per
    batch and outcome: one ``INSERT ... SELECT``."""
    sums = _OUTCOME_SUMS.format(where=f"o.return_file_id = {int(return_file_id)}")
    connection.exec_driver_sql(f"INSERT INTO return_outcome_counts ({_OUTCOME_COLUMNS}) {sums}")


def rebuild(connection: sa.Connection) -> None:
    """Recompute the kept tables from the postings, the outcomes and the enrolments."""
    connection.exec_driver_sql("DELETE FROM account_balances")
    connection.exec_driver_sql(
        f"INSERT INTO account_balances ({_BALANCE_COLUMNS}) {_BALANCE_SUMS.format(where='1 = 1')}"
    )
    connection.exec_driver_sql("DELETE FROM return_outcome_counts")
    connection.exec_driver_sql(
        f"INSERT INTO return_outcome_counts ({_OUTCOME_COLUMNS})"
        f" {_OUTCOME_SUMS.format(where='1 = 1')}"
    )
    rebuild_rollups(connection)


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


def _rollup_problem(connection: sa.Connection) -> str | None:
    """Only a fresh roll-up is read, so only a fresh one is checked (against the kept
    balances, themselves checked against the postings)."""
    newest = _newest_enrolment(connection)
    if _rollup_mark(connection) != newest:
        return None
    rows = _differences(
        connection,
        f"SELECT {_ROLLUP_COLUMNS} FROM payable_rollups",
        _ROLLUP_SUMS.format(newest=newest),
        "program, township",
    )
    if not rows:
        return None
    first = rows[0]
    return (
        f"payable_rollups: {len({(r[1], r[2]) for r in rows})} program/township row(s)"
        f" differ from the payables' balances; first {first[1]}/{first[2] or '?'}"
        f" ({'as kept' if first[0] == 'kept' else 'as the balances give'}: balance"
        f" {first[3]} fen, {first[6]} accounts)"
    )


def problems(connection: sa.Connection) -> list[tuple[str, str]]:
    """(table, message) for each kept table that differs from its recomputation."""
    out = []
    for table, check in (
        ("account_balances", _balance_problem),
        ("return_outcome_counts", _outcome_problem),
        ("payable_rollups", _rollup_problem),
    ):
        message = check(connection)
        if message is not None:
            out.append((table, message))
    return out
