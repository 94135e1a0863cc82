"""Posting in bulk from SQL: ``post_staged`` records the postings a caller inserted into
``staging_table`` with ``INSERT ... SELECT`` (10^6 postings computed in SQL never travel
through Python). The checks run as SQL on the staged rows, the hash is computed from the
postings as recorded, read back in chunks; the guarantees are ``post``'s."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.db import kept_totals
from ledger.db.bulk import fill_temporary_table
from ledger.db.journal_store import (
    _STAGE,
    _STAGE_COLUMNS,
    Recorded,
    _chain_end,
    _find_by_key,
    _future_problems,
    _header,
    _insert_header,
    _period_closed,
    _unknown_accounts,
    lock_journal,
)
from ledger.errors import LedgerError, ValidationError
from ledger.journal import (
    StagedTransaction,
    chunked_transaction_hash,
    header_problems,
    period_of,
    unbalanced,
)


def staging_table(connection: sa.Connection) -> str:
    """The (emptied) temporary table ``post_staged`` records: a bulk caller inserts its
    postings into it with SQL, as ``(account_id, account, amount_fen, instruction_id)``
    rows: the account by id, or by name (``account``) where ``account_id`` is NULL;
    ``seq`` is not used."""
    fill_temporary_table(connection, _STAGE, _STAGE_COLUMNS, [])
    return _STAGE


def post_staged(
    connection: sa.Connection, tx: StagedTransaction, *, now: datetime | None = None
) -> Recorded:
    """Record the postings staged in ``staging_table`` as one transaction; the same
    guarantees as ``post`` (checks, idempotency, closed periods, the database's triggers).

    The postings are recorded in account order (account id, then instruction id, then
    amount), so 10^6 of them append to the journal's indexes, and the hash covers them
    in that recorded order. The staging table is emptied.
    """
    lock_journal(connection)
    if connection.dialect.name == "postgresql":  # plans with the staged rows' statistics
        connection.exec_driver_sql(f"ANALYZE {_STAGE}")
    count, total, zeros, nulls = connection.exec_driver_sql(
        "SELECT COUNT(*), COALESCE(SUM(amount_fen), 0),"
        " COALESCE(SUM(CASE WHEN amount_fen = 0 THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN amount_fen IS NULL OR (account IS NULL AND account_id IS NULL)"
        "  THEN 1 ELSE 0 END), 0)"
        f" FROM {_STAGE}"
    ).one()
    if nulls:
        raise ValueError(f"{nulls} staged postings without an account or amount")  # a bug
    problems = header_problems(tx.type, tx.operator)
    problems += _future_problems(connection, tx.effective_date, now)
    if not count:
        problems.append("the transaction has no postings")
    if zeros:
        problems.append(f"{zeros} postings with a zero amount")
    if total:
        problems.append(unbalanced(total))
    if problems:
        connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
        raise ValidationError("the transaction was refused:", problems)
    count = int(count)
    period = period_of(tx.effective_date)
    connection.exec_driver_sql(
        f"UPDATE {_STAGE} SET account_id = (SELECT a.id FROM accounts a"
        f" WHERE a.name = {_STAGE}.account) WHERE account_id IS NULL"
    )
    if tx.idempotency_key is not None:
        existing = _find_by_key(connection, tx.idempotency_key)
        if existing is not None:
            same = _same_staged_content(connection, existing, tx, count)
            connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
            if same:
                return Recorded(id=existing.id, hash=existing.hash, created=False)
            raise LedgerError(
                f"idempotency key {tx.idempotency_key!r} was already used by transaction "
                f"{existing.id} with different content"
            )
    if _period_closed(connection, period):
        raise LedgerError(f"period {period} is closed: nothing more can be posted dated in it")
    _unknown_accounts(connection, by_id=True)
    new_id, prev_hash = _chain_end(connection)
    after = connection.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM postings").scalar()
    connection.exec_driver_sql(
        "INSERT INTO postings (transaction_id, account_id, amount_fen, instruction_id) "
        f"SELECT {new_id}, s.account_id, s.amount_fen, s.instruction_id FROM {_STAGE} s"
        " ORDER BY s.account_id, s.instruction_id NULLS FIRST, s.amount_fen"
    )
    connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
    header = _header(new_id, tx, count, now)
    digest = chunked_transaction_hash(
        prev_hash, header, _recorded_lines(connection, new_id, int(after or 0))
    )
    _insert_header(connection, header, prev_hash, digest)
    kept_totals.add_postings(connection, new_id, new_id)
    return Recorded(id=new_id, hash=digest, created=True)


def _recorded_lines(
    connection: sa.Connection, transaction_id: int, after: int, chunk: int = 100_000
) -> Iterator[list[str]]:
    """The canonical line of each posting of a transaction just written (posting ids
    above ``after``), in recorded order, built by the database, in chunks."""
    if connection.dialect.name == "postgresql":
        sep, text = "chr(31)", "CAST({} AS TEXT)"
    else:
        sep, text = "char(31)", "CAST({} AS TEXT)"
    sql = (
        f"SELECT a.name || {sep} || {text.format('p.amount_fen')} || {sep}"
        f" || COALESCE({text.format('p.instruction_id')}, '')"
        " FROM postings p JOIN accounts a ON a.id = p.account_id"
        f" WHERE p.id > {int(after)} AND +p.transaction_id = {int(transaction_id)}"
        " ORDER BY p.id"
    )
    raw: Any = connection.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk):
            yield [row[0] for row in rows]
    finally:
        cursor.close()


def _same_staged_content(
    connection: sa.Connection, existing: sa.Row, tx: StagedTransaction, count: int
) -> bool:
    if (
        existing.type != tx.type
        or existing.effective_date != tx.effective_date
        or existing.description != tx.description
        or existing.reverses_id is not None
        or existing.posting_count != count
    ):
        return False
    recorded = (
        "SELECT account_id, amount_fen, instruction_id, COUNT(*) AS n FROM postings"
        f" WHERE transaction_id = {int(existing.id)}"
        " GROUP BY account_id, amount_fen, instruction_id"
    )
    staged = (
        "SELECT account_id, amount_fen, instruction_id, COUNT(*) AS n"
        f" FROM {_STAGE} GROUP BY account_id, amount_fen, instruction_id"
    )
    differing = connection.exec_driver_sql(
        f"SELECT COUNT(*) FROM ({recorded} EXCEPT {staged}) d"
    ).scalar()
    return not differing
