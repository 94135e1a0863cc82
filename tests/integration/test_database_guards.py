"""The journal's guarantees hold in the database itself, against raw SQL.

Each test arranges a valid journal through the API, then attacks it through a plain
driver connection (sqlite3 / psycopg), as someone bypassing the application would.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ledger.db.periods_store import close_period
from ledger.db.uow import UnitOfWork
from tests.helpers import post_lines

TREASURY = "Assets:Treasury:dibao_rural"
APPROPRIATION = "Income:Appropriation:central:dibao_rural"


@contextmanager
def raw_connection(db_url: str) -> Iterator[Any]:
    """A plain DB-API connection, outside SQLAlchemy and the journal API."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database)
        # What every connection of ours does; an attacker's would too, or the deferred
        # foreign key below would not be checked at all (see docs/ledger.md).
        connection.execute("PRAGMA foreign_keys = ON")
    else:
        connection = psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database
        )
    try:
        yield connection
    finally:
        connection.close()


# What either driver raises when the database refuses a statement.
REFUSED = (sqlite3.DatabaseError, psycopg.Error)


@pytest.fixture
def journal(engine, db_url) -> str:
    """A journal with one allocation of 1000.00 yuan (transaction 1, postings 1-2)."""
    with UnitOfWork(engine) as uow:
        post_lines(uow.connection, [(TREASURY, 100_000), (APPROPRIATION, -100_000)])
        uow.commit()
    engine.dispose()
    return db_url


def run(db_url: str, *statements: str) -> None:
    with raw_connection(db_url) as connection:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        connection.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE postings SET amount_fen = 1 WHERE id = 1",
        "DELETE FROM postings WHERE id = 1",
        "UPDATE transactions SET description = 'edited' WHERE id = 1",
        "DELETE FROM transactions WHERE id = 1",
        "UPDATE accounts SET name = 'Assets:Treasury:other' WHERE id = 1",
    ],
)
def test_recorded_rows_cannot_be_updated_or_deleted(journal, statement):
    with pytest.raises(REFUSED, match=r"append-only|never change"):
        run(journal, statement)


def test_postings_cannot_be_truncated_on_postgresql(journal):
    if not journal.startswith("postgresql"):
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    with pytest.raises(psycopg.Error, match="append-only"):
        run(journal, "TRUNCATE postings CASCADE")


def _header_sql(tx_id: int, prev_hash_sql: str) -> str:
    return (
        "INSERT INTO transactions (id, type, effective_date, period, description, operator,"
        " recorded_at, posting_count, prev_hash, hash) VALUES "
        f"({tx_id}, 'raw', '2026-11-06', '2026-11', 'raw insert', 'attacker',"
        f" '2026-11-06 10:00:00+00', 2, ({prev_hash_sql}), 'h{tx_id}')"
    )


PREV = "SELECT hash FROM transactions WHERE id = 1"


def test_an_unbalanced_transaction_cannot_be_committed(journal):
    with pytest.raises(REFUSED, match="does not balance"):
        run(
            journal,
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 1, 500)",
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 2, -499)",
            _header_sql(2, PREV),
        )


def test_postings_without_a_transaction_cannot_be_committed(journal):
    with pytest.raises(REFUSED, match=r"(?i)foreign key"):
        run(
            journal,
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 1, 500)",
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 2, -500)",
        )


def test_a_posting_cannot_join_a_recorded_transaction(journal):
    with pytest.raises(REFUSED, match="cannot be added to a recorded"):
        run(
            journal,
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (1, 1, 500)",
        )


def test_a_posting_into_a_closed_period_fails(journal, engine):
    with UnitOfWork(engine) as uow:
        close_period(uow.connection, "2026-11", operator="finance")
        uow.commit()
    engine.dispose()
    with pytest.raises(REFUSED, match="closed"):
        run(
            journal,
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 1, 500)",
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 2, -500)",
            _header_sql(2, PREV),
        )


def test_a_closed_period_cannot_be_reopened(journal, engine):
    with UnitOfWork(engine) as uow:
        close_period(uow.connection, "2026-10", operator="finance")
        uow.commit()
    engine.dispose()
    with pytest.raises(REFUSED, match="closed period"):
        run(journal, "UPDATE periods SET status = 'open' WHERE period = '2026-10'")


def test_a_header_that_breaks_the_hash_chain_is_refused(journal):
    with pytest.raises(REFUSED, match="prev_hash"):
        run(
            journal,
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 1, 500)",
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 2, -500)",
            _header_sql(2, "SELECT 'forged'"),
        )


def test_a_zero_posting_is_refused(journal):
    with pytest.raises(REFUSED, match=r"(?i)check|amount_nonzero"):
        run(
            journal,
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (2, 1, 0)",
        )


def test_the_api_still_works_after_the_attacks(journal, engine):
    for statement in ("DELETE FROM postings WHERE id = 1",):
        with pytest.raises(REFUSED):
            run(journal, statement)
    with UnitOfWork(engine) as uow:
        recorded = post_lines(
            uow.connection, [(TREASURY, 1), (APPROPRIATION, -1)], day=date(2026, 11, 7)
        )
        uow.commit()
    assert recorded.id == 2
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM postings")).scalar_one() == 4
