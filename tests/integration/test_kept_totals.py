"""Kept totals (issue 22): each account's balance and each return file's outcome counts,
kept by the journal's write paths and the reconciliation in the same transaction, equal
to their recomputation; an insider's edit of either is named by `ledger audit verify`."""

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger import reconciliation
from ledger.cli import cli
from ledger.db import kept_totals
from ledger.db.accounts_store import open_accounts
from ledger.db.journal_many import post_many
from ledger.db.uow import UnitOfWork
from tests.helpers import new_tx
from tests.integration.test_database_guards import raw_connection
from tests.support.books import TREASURY, Books
from tests.support.returns import csv_return

EXPENSE = "Expenses:Assistance:dibao_rural:T01"
CLEARING = "Assets:BankClearing:ICBC"
APPROPRIATION = "Income:Appropriation:central:dibao_rural"


@pytest.fixture
def books(engine, tmp_path) -> Books:
    return Books(engine, tmp_path)


def kept_balances(connection: sa.Connection) -> dict[str, tuple[int, int, int, int]]:
    rows = connection.exec_driver_sql(
        "SELECT a.name, k.balance_fen, k.debits_fen, k.credits_fen, k.postings"
        " FROM account_balances k JOIN accounts a ON a.id = k.account_id"
    )
    return {name: (int(b), int(d), int(c), int(n)) for name, b, d, c, n in rows}


def computed_balances(connection: sa.Connection) -> dict[str, tuple[int, int, int, int]]:
    out: dict[str, list[int]] = {}
    for name, amount in connection.exec_driver_sql(
        "SELECT a.name, p.amount_fen FROM postings p JOIN accounts a ON a.id = p.account_id"
    ):
        entry = out.setdefault(name, [0, 0, 0, 0])
        entry[0] += amount
        entry[1 if amount > 0 else 2] += amount
        entry[3] += 1
    return {name: (v[0], v[1], v[2], v[3]) for name, v in out.items()}


def reconciled(books: Books) -> int:
    """A batch exported, a return with one line settled, one failed, one pending, and
    the failed payment cancelled: post, post_staged and the reconciliation's postings."""
    exported = books.export()
    path = csv_return(
        exported.path, books.tmp / "return.csv", {2: ("失败", "户主死亡"), 3: ("处理中", "")}
    )
    result = books.import_(path)
    failed = books.e2e(2)
    with UnitOfWork(books.engine) as uow:
        reconciliation.cancel(uow, failed, operator="clerk", reason="户主已死亡，停发")
    return result.return_file_id


def test_every_write_path_keeps_the_balances_and_the_outcome_counts(books: Books) -> None:
    file_id = reconciled(books)
    with books.engine.connect() as c:
        assert kept_balances(c) == computed_balances(c)
        assert kept_totals.problems(c) == []
        counts = {
            outcome: (int(n), int(fen))
            for outcome, n, fen in c.exec_driver_sql(
                "SELECT outcome, lines, amount_fen FROM return_outcome_counts"
                f" WHERE return_file_id = {file_id}"
            )
        }
        amounts = {
            int(line): int(fen)
            for line, fen in c.exec_driver_sql(
                "SELECT line_number, amount_fen FROM payment_instructions"
            )
        }
    assert counts == {
        "settled": (1, amounts[1]),
        "failed": (1, amounts[2]),
        "pending": (1, amounts[3]),
    }
    treasury = books.balance(TREASURY)
    with books.engine.connect() as c:
        assert kept_balances(c)[TREASURY][0] == treasury


def test_post_many_keeps_the_balances_in_one_statement(engine) -> None:
    payables = [f"Liabilities:Payable:dibao_rural:R{i:07d}" for i in range(3)]
    with UnitOfWork(engine) as uow:
        open_accounts(uow.connection, [TREASURY, APPROPRIATION, EXPENSE, CLEARING, *payables])
        uow.commit()
    txs = [new_tx([(CLEARING, 1500_00), (APPROPRIATION, -1500_00)], type_="funding")]
    txs += [new_tx([(EXPENSE, 500_00), (p, -500_00)], type_="accrual") for p in payables]
    txs += [new_tx([(p, 500_00), (CLEARING, -500_00)], type_="payment") for p in payables]
    with UnitOfWork(engine) as uow:
        post_many(uow.connection, txs)
        uow.commit()
    with engine.connect() as c:
        kept = kept_balances(c)
        assert kept == computed_balances(c)
    assert kept[CLEARING] == (0, 1500_00, -1500_00, 4)
    assert kept[payables[0]] == (0, 500_00, -500_00, 2)


def tamper(db_url: str, sql: str) -> None:
    """What an insider with write rights on the kept tables could do (no trigger
    guards them: they are derived data, checked by verify)."""
    with raw_connection(db_url) as connection:
        connection.cursor().execute(sql)
        connection.commit()


def audit_verify(db_url: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--db", db_url, "audit", "verify"])


def test_verify_passes_on_the_kept_totals_as_written(books: Books, db_url: str) -> None:
    reconciled(books)
    result = audit_verify(db_url)
    assert result.exit_code == 0, result.output
    assert "the kept balances and outcome counts equal their recomputation" in result.output


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            "UPDATE account_balances SET balance_fen = balance_fen + 100, debits_fen ="
            " debits_fen + 100 WHERE account_id = (SELECT id FROM accounts WHERE name ="
            f" '{TREASURY}')",
            f"account_balances: 1 account(s) differ from their postings; first '{TREASURY}'",
        ),
        (
            "DELETE FROM account_balances WHERE account_id = (SELECT id FROM accounts"
            f" WHERE name = '{CLEARING}')",
            f"first '{CLEARING}': kept no row, the postings give balance",
        ),
        (
            "UPDATE return_outcome_counts SET lines = lines + 1 WHERE outcome = 'failed'",
            "return_outcome_counts: 1 count(s) differ from the outcomes; first return file",
        ),
        (
            "UPDATE return_outcome_counts SET amount_fen = amount_fen - 1"
            " WHERE outcome = 'settled'",
            "settled: kept 1 lines",
        ),
    ],
)
def test_verify_names_an_edited_kept_total(
    books: Books, db_url: str, edit: str, expected: str
) -> None:
    reconciled(books)
    tamper(db_url, edit)
    result = audit_verify(db_url)
    assert result.exit_code == 1
    assert "kept totals (" in result.stderr
    assert expected in result.stderr, result.stderr
    with books.engine.connect() as c:
        assert kept_totals.problems(c)
        kept_totals.rebuild(c)
        assert kept_totals.problems(c) == []


def live_rollup(connection: sa.Connection) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """The payables per program and township summed from the postings here."""
    towns = {
        (str(p), str(k)): str(t)
        for p, k, t in connection.exec_driver_sql(
            "SELECT e.program, r.key, e.township FROM enrolments e"
            " JOIN recipients r ON r.id = e.recipient_id WHERE e.valid_to_import IS NULL"
        )
    }
    out: dict[tuple[str, str], list[int]] = {}
    for name, (balance, debits, credits, _) in computed_balances(connection).items():
        parts = name.split(":")
        if parts[:2] == ["Liabilities", "Payable"]:
            entry = out.setdefault((parts[2], towns.get((parts[2], parts[3]), "")), [0, 0, 0, 0])
            for i, value in enumerate((balance, debits, credits, 1)):
                entry[i] += value
    return {key: (v[0], v[1], v[2], v[3]) for key, v in out.items()}


def kept_rollup(connection: sa.Connection) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    from ledger.db.kept_reads import payables_by_township

    return {
        (s.program, s.township or ""): (s.balance_fen, s.debits_fen, s.credits_fen, s.accounts)
        for s in payables_by_township(connection)
    }


def test_the_payables_roll_up_per_township_is_kept_and_rebuilt_when_stale(
    books: Books, db_url: str
) -> None:
    reconciled(books)
    with books.engine.connect() as c:
        assert kept_totals.rollup_is_fresh(c)
        assert kept_rollup(c) == live_rollup(c) != {}
        # A recipient moves township outside a roster import (an enrolment version
        # written directly): the roll-up is stale, read around, and not reported.
        c.exec_driver_sql(
            "UPDATE enrolments SET valid_to_import = valid_from_import"
            " WHERE id = (SELECT MIN(id) FROM enrolments)"
        )
        c.exec_driver_sql(
            "INSERT INTO enrolments (recipient_id, program, township, village, household_id,"
            " household_size, amount_fen, bank, account_number, account_holder, start_month,"
            " status, valid_from_import) SELECT recipient_id, program, 'T99', village,"
            " household_id, household_size, amount_fen, bank, account_number,"
            " account_holder, start_month, status, valid_from_import FROM enrolments"
            " WHERE id = (SELECT MIN(id) FROM enrolments)"
        )
        assert not kept_totals.rollup_is_fresh(c)
        assert ("dibao_rural", "T99") in live_rollup(c)
        assert kept_rollup(c) == live_rollup(c)
        assert kept_totals.problems(c) == []
        # The next journal write rebuilds it.
        from tests.helpers import post_lines

        post_lines(c, [(TREASURY, 100), (APPROPRIATION, -100)])
        assert kept_totals.rollup_is_fresh(c)
        assert kept_rollup(c) == live_rollup(c)
        c.commit()
    tamper(db_url, "UPDATE payable_rollups SET accounts = accounts + 1 WHERE township = 'T99'")
    result = audit_verify(db_url)
    assert result.exit_code == 1
    assert "kept totals (payable_rollups): payable_rollups: 1 program/township row(s)" in (
        result.stderr
    )
    assert "first dibao_rural/T99" in result.stderr
