"""Tamper evidence: verify recomputes the chain and names the first broken link."""

from collections.abc import Callable

import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.db.uow import UnitOfWork
from ledger.db.verify import verify
from tests.helpers import post_lines
from tests.integration.test_database_guards import raw_connection

TREASURY = "Assets:Treasury:dibao_rural"
APPROPRIATION = "Income:Appropriation:central:dibao_rural"


def three_transactions(engine) -> None:
    with UnitOfWork(engine) as uow:
        for amount in (100, 200, 300):
            post_lines(uow.connection, [(TREASURY, amount), (APPROPRIATION, -amount)])
        uow.commit()
    engine.dispose()


def sqlite_trigger(cursor, name: str) -> str:
    cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,))
    return cursor.fetchone()[0]


def tamper(db_url: str, sql: str) -> None:
    """Disable the immutability trigger, edit, re-enable: what an insider with DBA
    rights could do."""
    with raw_connection(db_url) as connection:
        cursor = connection.cursor()
        if db_url.startswith("sqlite"):
            trigger_sql = sqlite_trigger(cursor, "postings_no_update")
            cursor.execute("DROP TRIGGER postings_no_update")
            cursor.execute(sql)
            cursor.execute(trigger_sql)
        else:
            cursor.execute("ALTER TABLE postings DISABLE TRIGGER postings_append_only")
            cursor.execute(sql)
            cursor.execute("ALTER TABLE postings ENABLE TRIGGER postings_append_only")
        connection.commit()


def test_an_untouched_journal_verifies(engine):
    three_transactions(engine)
    with engine.connect() as connection:
        report = verify(connection)
    assert report.ok, report.problems
    assert (report.transactions_checked, report.postings_checked) == (3, 6)


@pytest.mark.parametrize(
    "edit",
    [
        # One posting of transaction 2 edited: that transaction's hash no longer matches
        # and it no longer balances.
        lambda: "UPDATE postings SET amount_fen = 250 WHERE id = 3",
        # Both postings edited consistently: it balances, but the hash still catches it.
        lambda: "UPDATE postings SET amount_fen = -amount_fen WHERE transaction_id = 2",
    ],
)
def test_verify_catches_a_tampered_posting(engine, db_url, edit: Callable[[], str]):
    three_transactions(engine)
    tamper(db_url, edit())
    with engine.connect() as connection:
        report = verify(connection)
    assert not report.ok
    assert report.first_bad_transaction == 2
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db_url, "audit", "verify"])
    assert result.exit_code == 1
    assert "transaction 2: content does not match its hash" in result.stderr
    assert "first bad transaction: 2" in result.stderr


def test_verify_reports_a_changed_header(engine, db_url):
    three_transactions(engine)
    with raw_connection(db_url) as connection:
        cursor = connection.cursor()
        if db_url.startswith("sqlite"):
            trigger_sql = sqlite_trigger(cursor, "transactions_no_update")
            cursor.execute("DROP TRIGGER transactions_no_update")
            cursor.execute("UPDATE transactions SET operator = 'someone else' WHERE id = 3")
            cursor.execute(trigger_sql)
        else:
            cursor.execute("ALTER TABLE transactions DISABLE TRIGGER transactions_append_only")
            cursor.execute("UPDATE transactions SET operator = 'someone else' WHERE id = 3")
            cursor.execute("ALTER TABLE transactions ENABLE TRIGGER transactions_append_only")
        connection.commit()
    with engine.connect() as connection:
        report = verify(connection)
    assert report.first_bad_transaction == 3
