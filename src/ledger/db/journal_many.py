"""Recording many small transactions in one call: ``post_many``.

``journal_store.post`` runs about nine statements per transaction (lock, key, period,
staging, accounts, chain end, postings, header), which is right for one allocation
and ~100x the floor for a caller with 10^5 transactions of two postings. ``post_many``
runs one statement set per call whatever the number of transactions: one lock, one
lookup of the idempotency keys, of the closed periods and of the accounts, then every
posting and every header staged with one executemany each (prepared once; COPY on
PostgreSQL) and moved into the journal with one INSERT ... SELECT each. The hashes
are chained in Python as ``post`` chains them.

The guarantees are ``post``'s. The database's own checks all run: each header's insert
trigger checks its chain link, period, posting count, balance and the balance rules.
Because every posting of the call is written before the first header, a header's
balance-rule check sees the postings of the transactions after it in the call; so the
rules are also checked here, in transaction order, on the running balances (the
accounts' recorded balances plus the call's postings so far): a call in which an
account would cross its rule at any transaction is refused, as ``post`` would refuse
that transaction. Any refusal leaves the call's unit of work to be rolled back.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa

from ledger.db import kept_totals
from ledger.db.bulk import copy_rows, fetch_all, fill_temporary_table
from ledger.db.journal_store import (
    Recorded,
    _chain_end,
    _check_reversible,
    _future_problems,
    _header,
    _same_content,
    database_refusal,
    lock_journal,
)
from ledger.db.schema import periods, transactions
from ledger.errors import LedgerError, ValidationError
from ledger.journal import NewTransaction, check_transaction, transaction_hash
from ledger.operators import os_login

_NAMES = "ledger_staged_names"
_KEYS_PER_QUERY = 500
_PROBLEMS_SHOWN = 20  # of 10^5 bad transactions, the first ones and the count
_ANALYZE_FROM = 1_000  # transactions in one call (PostgreSQL, see _record)
_HEADER_COLUMNS = (
    "id",
    "type",
    "effective_date",
    "period",
    "description",
    "operator",
    "idempotency_key",
    "reverses_id",
    "recorded_at",
    "posting_count",
    "prev_hash",
    "hash",
    "db_login",
)


def post_many(
    connection: sa.Connection, txs: Sequence[NewTransaction], *, now: datetime | None = None
) -> list[Recorded]:
    """Record ``txs`` in order, as consecutive transactions; return each one's record
    (in the order given). A transaction whose idempotency key is already recorded with
    the same content is not recorded again (``created`` False); any refusal refuses the
    whole call. Nothing is committed: the caller's unit of work does."""
    if not txs:
        return []
    _refuse_invalid(connection, txs, now)
    lock_journal(connection)
    results: list[Recorded | None] = [None] * len(txs)
    existing = _existing_keys(connection, txs)
    for index, tx in enumerate(txs):
        row = existing.get(tx.idempotency_key) if tx.idempotency_key is not None else None
        if row is None:
            continue
        if not _same_content(connection, row, tx):
            raise LedgerError(
                f"idempotency key {tx.idempotency_key!r} was already used by transaction "
                f"{row.id} with different content"
            )
        results[index] = Recorded(id=row.id, hash=row.hash, created=False)
    new = [index for index, result in enumerate(results) if result is None]
    if new:
        _record(connection, txs, new, results, now)
    return [r for r in results if r is not None]


def _refuse_invalid(
    connection: sa.Connection, txs: Sequence[NewTransaction], now: datetime | None
) -> None:
    problems: list[str] = []
    keys: dict[str, int] = {}
    reversed_ids: dict[int, int] = {}
    dates: dict[date, list[str]] = {}  # the future-date check, once per date
    for number, tx in enumerate(txs, 1):
        if tx.effective_date not in dates:
            dates[tx.effective_date] = _future_problems(connection, tx.effective_date, now)
        found = check_transaction(tx) + dates[tx.effective_date]
        if tx.idempotency_key is not None:
            if tx.idempotency_key in keys:
                found.append(
                    f"idempotency key {tx.idempotency_key!r} repeats transaction "
                    f"{keys[tx.idempotency_key]} of the call"
                )
            keys.setdefault(tx.idempotency_key, number)
        if tx.reverses_id is not None:
            if tx.reverses_id in reversed_ids:
                found.append(
                    f"transaction {tx.reverses_id} is reversed by transaction "
                    f"{reversed_ids[tx.reverses_id]} of the call already"
                )
            reversed_ids.setdefault(tx.reverses_id, number)
        problems += [f"transaction {number} ({tx.type}, {tx.effective_date}): {p}" for p in found]
    if problems:
        shown = problems[:_PROBLEMS_SHOWN]
        if len(problems) > _PROBLEMS_SHOWN:
            shown.append(f"and {len(problems) - _PROBLEMS_SHOWN} more problems")
        raise ValidationError(f"the {len(txs)} transactions were refused:", shown)


def _existing_keys(connection: sa.Connection, txs: Sequence[NewTransaction]) -> dict[str, Any]:
    keys = [tx.idempotency_key for tx in txs if tx.idempotency_key is not None]
    found: dict[str, Any] = {}
    iterator = iter(keys)
    while chunk := list(islice(iterator, _KEYS_PER_QUERY)):
        for row in connection.execute(
            sa.select(transactions).where(transactions.c.idempotency_key.in_(chunk))
        ):
            found[row.idempotency_key] = row
    return found


def _record(
    connection: sa.Connection,
    txs: Sequence[NewTransaction],
    new: list[int],
    results: list[Recorded | None],
    now: datetime | None,
) -> None:
    periods_used = sorted({txs[i].period for i in new})
    closed = connection.execute(
        sa.select(periods.c.period).where(
            periods.c.period.in_(periods_used), periods.c.status == "closed"
        )
    ).scalars()
    for period in closed:  # the first closed period refuses the call
        raise LedgerError(f"period {period} is closed: nothing more can be posted dated in it")
    for index in new:
        reverses_id = txs[index].reverses_id
        if reverses_id is not None:
            _check_reversible(connection, reverses_id)
    accounts = _open_accounts(connection, {a for i in new for a in txs[i].postings.accounts})
    _check_rules(connection, txs, new, accounts)

    new_id, prev_hash = _chain_end(connection)
    first_id = new_id
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    login = os_login()
    date_value = _driver_value(connection, transactions.c.effective_date)
    recorded_at = _driver_value(connection, transactions.c.recorded_at)(moment)
    postings: list[tuple[int, int, int, int | None]] = []
    headers: list[tuple[Any, ...]] = []
    for index in new:
        tx = txs[index]
        names, amounts = tx.postings.accounts, tx.postings.amounts_fen
        instructions = tx.postings.instruction_column()
        header = _header(new_id, tx, len(names), moment, reverses_id=tx.reverses_id)
        digest = transaction_hash(prev_hash, header, names, amounts, instructions)
        postings += zip(
            [new_id] * len(names),
            [accounts[name][0] for name in names],
            amounts,
            instructions,
            strict=True,
        )
        headers.append(
            (
                new_id,
                header.type,
                date_value(header.effective_date),
                header.period,
                header.description,
                header.operator,
                header.idempotency_key,
                header.reverses_id,
                recorded_at,
                header.posting_count,
                prev_hash,
                digest,
                login,
            )
        )
        results[index] = Recorded(id=new_id, hash=digest, created=True)
        new_id, prev_hash = new_id + 1, digest
    # Postings first, in the order the hashes cover (posting ids follow it); then the
    # headers, whose insert triggers check each transaction as a whole. Each goes in as
    # one statement: on SQLite a statement whose triggers may abort keeps a statement
    # journal, so one INSERT ... SELECT of staged rows costs one, where an executemany
    # costs one per row; PostgreSQL COPYs the postings straight into their table (their
    # trigger is per statement) and stages the headers (their trigger is per row).
    posting_columns = ("transaction_id", "account_id", "amount_fen", "instruction_id")
    if connection.dialect.name == "postgresql":
        copy_rows(connection, "postings", posting_columns, postings)
        # The header trigger's queries are planned with the table's statistics: on
        # statistics older than the rows just copied it may scan every posting for each
        # header (measured: 5·10^3 transactions 10 s, 1.5·10^4 more than 300 s; with
        # fresh statistics 28 s). ANALYZE samples a fixed number of rows.
        if len(headers) >= _ANALYZE_FROM:
            connection.exec_driver_sql("ANALYZE postings")
    else:
        _insert_staged(connection, "postings", posting_columns, postings)
    try:
        _insert_staged(connection, "transactions", _HEADER_COLUMNS, headers)
    except sa.exc.DBAPIError as error:
        message = database_refusal(error)
        if message is None:
            raise
        raise LedgerError(f"the database refused the transactions: {message}") from error
    if headers:
        kept_totals.add_postings(connection, first_id, new_id - 1)


def _insert_staged(
    connection: sa.Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Stage ``rows`` in a temporary table of the same column types, then move them into
    ``table`` with one ``INSERT ... SELECT``, in the order given."""
    target = sa.Table(table, transactions.metadata)
    dialect = connection.dialect
    types = [("seq", "BIGINT")] + [(c, target.c[c].type.compile(dialect=dialect)) for c in columns]
    stage = f"ledger_staged_{table}_many"
    fill_temporary_table(connection, stage, types, ((k, *row) for k, row in enumerate(rows)))
    column_list = ", ".join(columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {stage} ORDER BY seq"
    )
    connection.exec_driver_sql(f"DELETE FROM {stage}")


def _open_accounts(connection: sa.Connection, names: set[str]) -> dict[str, tuple[int, str]]:
    """Each name's account id and balance rule; refused if any account is not open."""
    fill_temporary_table(connection, _NAMES, [("name", "VARCHAR(200)")], ((n,) for n in names))
    found = {  # straight from the driver: 10^5 accounts through Row objects cost 1.4 s
        str(name): (int(account_id), str(rule))
        for name, account_id, rule in fetch_all(
            connection,
            f"SELECT a.name, a.id, a.balance_rule FROM {_NAMES} s"
            " JOIN accounts a ON a.name = s.name",
        )
    }
    connection.exec_driver_sql(f"DELETE FROM {_NAMES}")
    unknown = sorted(names - found.keys())
    if unknown:
        shown = ", ".join(repr(n) for n in unknown[:5])
        more = " and more" if len(unknown) > 5 else ""
        raise LedgerError(f"accounts that are not open: {shown}{more}")
    return found


def _check_rules(
    connection: sa.Connection,
    txs: Sequence[NewTransaction],
    new: list[int],
    accounts: dict[str, tuple[int, str]],
) -> None:
    """Refuse the call if a balance rule breaks at any of its transactions.

    Within the call, only an account whose running sum of the call's postings rises
    above 0 (credit_only) or falls below 0 (debit_only) can break its rule; the
    recorded balances of those accounts alone are read, then the running balances are
    checked transaction by transaction."""
    sign = {"credit_only": 1, "debit_only": -1}
    running: dict[str, int] = defaultdict(int)
    exposed: set[str] = set()
    for index in new:
        postings = txs[index].postings
        for name, amount in zip(postings.accounts, postings.amounts_fen, strict=True):
            rule = accounts[name][1]
            if rule in sign:
                running[name] += amount
                if running[name] * sign[rule] > 0:
                    exposed.add(name)
    if not exposed:
        return
    balance = _recorded_balances(connection, [accounts[n][0] for n in exposed])
    running = defaultdict(int, {n: balance.get(accounts[n][0], 0) for n in exposed})
    for number, index in enumerate(new, 1):
        tx = txs[index]
        moved: dict[str, int] = defaultdict(int)
        for name, amount in zip(tx.postings.accounts, tx.postings.amounts_fen, strict=True):
            if name in exposed:
                moved[name] += amount
        for name, amount in moved.items():
            running[name] += amount
            rule = accounts[name][1]
            if rule == "credit_only" and amount > 0 and running[name] > 0:
                raise LedgerError(
                    f"transaction {number} of the call ({tx.type}): the credit_only account "
                    f"{name} would go debit: paid more than owed"
                )
            if rule == "debit_only" and amount < 0 and running[name] < 0:
                raise LedgerError(
                    f"transaction {number} of the call ({tx.type}): the debit_only account "
                    f"{name} would go negative"
                )


def _recorded_balances(connection: sa.Connection, account_ids: list[int]) -> dict[int, int]:
    fill_temporary_table(
        connection, _NAMES + "_ids", [("id", "BIGINT")], ((i,) for i in account_ids)
    )
    rows = connection.exec_driver_sql(
        f"SELECT p.account_id, SUM(p.amount_fen) FROM postings p"
        f" JOIN {_NAMES}_ids s ON s.id = p.account_id GROUP BY p.account_id"
    ).all()
    return {int(account_id): int(total) for account_id, total in rows}


def _driver_value(connection: sa.Connection, column: sa.Column[Any]) -> Any:
    """The function turning a Python value into what the driver is given for
    ``column``, as SQLAlchemy's own inserts do (SQLite keeps dates as text)."""
    dialect = connection.dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)
