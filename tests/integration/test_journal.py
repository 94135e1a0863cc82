"""The journal API on a real SQLite file and a real PostgreSQL database."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from ledger.db.accounts_store import open_accounts
from ledger.db.balances import account_balance, balances, trial_balance
from ledger.db.journal_reversal import reverse
from ledger.db.journal_staged import post_staged, staging_table
from ledger.db.journal_store import post
from ledger.db.periods_store import close_period
from ledger.db.schema import postings, transactions
from ledger.db.uow import UnitOfWork
from ledger.db.verify import verify
from ledger.errors import LedgerError, ValidationError
from ledger.journal import StagedTransaction
from tests.helpers import new_tx, post_lines

TREASURY = "Assets:Treasury:dibao_rural"
APPROPRIATION = "Income:Appropriation:central:dibao_rural"
PAYABLE = "Liabilities:Payable:dibao_rural:R0000001"
EXPENSE = "Expenses:Assistance:dibao_rural:T01"
CLEARING = "Assets:BankClearing:ICBC"


def count(connection: sa.Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_balanced_transaction_is_recorded_and_moves_balances(engine):
    with UnitOfWork(engine) as uow:
        recorded = post_lines(
            uow.connection, [(TREASURY, 120_000_00), (APPROPRIATION, -120_000_00)]
        )
        uow.commit()
    assert recorded.created and recorded.id == 1
    with engine.connect() as connection:
        assert account_balance(connection, TREASURY) == 120_000_00
        assert account_balance(connection, APPROPRIATION) == -120_000_00
        assert sum(b.balance_fen for b in trial_balance(connection)) == 0


def test_transactions_chain_their_hashes(engine):
    with UnitOfWork(engine) as uow:
        first = post_lines(uow.connection, [(TREASURY, 100), (APPROPRIATION, -100)])
        second = post_lines(uow.connection, [(TREASURY, 200), (APPROPRIATION, -200)])
        uow.commit()
    with engine.connect() as connection:
        prev = connection.execute(
            sa.select(transactions.c.prev_hash).where(transactions.c.id == second.id)
        ).scalar_one()
    assert prev == first.hash
    assert second.id == first.id + 1


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [(TREASURY, 100), (APPROPRIATION, -99)],
            r"sum to 1 fen \(debits exceed credits by 1 fen\)",
        ),
        ([(TREASURY, 0), (APPROPRIATION, 0)], "zero amount"),
        ([], "no postings"),
    ],
)
def test_a_bad_transaction_is_refused_and_nothing_is_written(engine, lines, message):
    with UnitOfWork(engine) as uow:
        open_accounts(uow.connection, [TREASURY, APPROPRIATION])
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(ValidationError, match=message):
        post(uow.connection, new_tx(lines))
    with engine.connect() as connection:
        assert count(connection, transactions) == 0
        assert count(connection, postings) == 0


def test_posting_to_an_account_that_is_not_open_is_refused(engine):
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="not open"):
        post(uow.connection, new_tx([(TREASURY, 100), (APPROPRIATION, -100)]))


def test_an_account_outside_the_chart_cannot_be_opened(engine):
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="chart of accounts"):
        open_accounts(uow.connection, ["Assets:Cash:petty"])


def test_posting_into_a_closed_period_is_refused(engine):
    with UnitOfWork(engine) as uow:
        open_accounts(uow.connection, [TREASURY, APPROPRIATION])
        close_period(uow.connection, "2026-10", operator="finance")
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="2026-10 is closed"):
        post(uow.connection, new_tx([(TREASURY, 1), (APPROPRIATION, -1)], day=date(2026, 10, 31)))
    with UnitOfWork(engine) as uow:
        # The next period is still open.
        post(uow.connection, new_tx([(TREASURY, 1), (APPROPRIATION, -1)], day=date(2026, 11, 1)))
        uow.commit()


def test_closing_a_period_twice_is_refused(engine):
    with UnitOfWork(engine) as uow:
        close_period(uow.connection, "2026-10", operator="finance")
        with pytest.raises(LedgerError, match="already closed"):
            close_period(uow.connection, "2026-10", operator="finance")


def test_the_same_idempotency_key_with_the_same_content_returns_the_first_transaction(engine):
    lines = [(TREASURY, 500), (APPROPRIATION, -500)]
    with UnitOfWork(engine) as uow:
        open_accounts(uow.connection, [TREASURY, APPROPRIATION])
        first = post(uow.connection, new_tx(lines, key="alloc-2026-001"))
        again = post(uow.connection, new_tx(lines, key="alloc-2026-001"))
        uow.commit()
    assert first.created and not again.created
    assert again.id == first.id
    with engine.connect() as connection:
        assert count(connection, transactions) == 1


def test_the_same_idempotency_key_with_other_content_is_refused(engine):
    with UnitOfWork(engine) as uow:
        open_accounts(uow.connection, [TREASURY, APPROPRIATION])
        post(uow.connection, new_tx([(TREASURY, 500), (APPROPRIATION, -500)], key="k1"))
        with pytest.raises(LedgerError, match="different content"):
            post(uow.connection, new_tx([(TREASURY, 501), (APPROPRIATION, -501)], key="k1"))


def test_a_reversal_mirrors_the_original_and_is_refused_twice(engine):
    with UnitOfWork(engine) as uow:
        original = post_lines(uow.connection, [(TREASURY, 700), (APPROPRIATION, -700)])
        reversal = reverse(
            uow.connection,
            original.id,
            operator="finance",
            effective_date=date(2026, 11, 6),
            reason="wrong program",
        )
        uow.commit()
    with engine.connect() as connection:
        assert account_balance(connection, TREASURY) == 0
        assert account_balance(connection, TREASURY, as_of=date(2026, 11, 5)) == 700
        linked = connection.execute(
            sa.select(transactions.c.reverses_id).where(transactions.c.id == reversal.id)
        ).scalar_one()
        assert linked == original.id
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="already reversed"):
        reverse(
            uow.connection,
            original.id,
            operator="finance",
            effective_date=date(2026, 11, 6),
            reason="again",
        )


def test_a_payable_never_goes_debit(engine):
    with UnitOfWork(engine) as uow:
        post_lines(uow.connection, [(EXPENSE, 30_000), (PAYABLE, -30_000)])
        open_accounts(uow.connection, [CLEARING])
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="paid more than owed"):
        post(uow.connection, new_tx([(PAYABLE, 30_001), (CLEARING, -30_001)]))
    with UnitOfWork(engine) as uow:
        post(uow.connection, new_tx([(PAYABLE, 30_000), (CLEARING, -30_000)]))
        uow.commit()


def test_the_treasury_never_goes_negative(engine):
    with UnitOfWork(engine) as uow:
        post_lines(uow.connection, [(TREASURY, 1_000), (APPROPRIATION, -1_000)])
        open_accounts(uow.connection, [CLEARING])
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="would go negative"):
        post(uow.connection, new_tx([(CLEARING, 1_001), (TREASURY, -1_001)]))


def test_a_program_may_allow_its_treasury_to_go_negative(engine):
    with UnitOfWork(engine) as uow:
        open_accounts(
            uow.connection, [TREASURY, CLEARING], treasury_negative_programs={"dibao_rural"}
        )
        post(uow.connection, new_tx([(CLEARING, 5), (TREASURY, -5)]))
        uow.commit()


def test_balances_cover_an_account_prefix_and_an_as_of_date(engine):
    other = "Liabilities:Payable:dibao_rural:R0000002"
    with UnitOfWork(engine) as uow:
        post_lines(
            uow.connection, [(EXPENSE, 300), (PAYABLE, -100), (other, -200)], day=date(2026, 11, 1)
        )
        post_lines(uow.connection, [(EXPENSE, 50), (PAYABLE, -50)], day=date(2026, 12, 1))
        uow.commit()
    with engine.connect() as connection:
        now = {
            b.account: b.balance_fen
            for b in balances(connection, "Liabilities:Payable:dibao_rural")
        }
        then = {
            b.account: b.balance_fen
            for b in balances(
                connection, "Liabilities:Payable:dibao_rural", as_of=date(2026, 11, 30)
            )
        }
        with pytest.raises(LedgerError, match="no account"):
            balances(connection, "Liabilities:Payable:tekun")
    assert now == {PAYABLE: -150, other: -200}
    assert then == {PAYABLE: -100, other: -200}


def test_a_transaction_with_many_postings_posts_in_one_go(engine):
    n = 5_000
    recipients = [f"Liabilities:Payable:dibao_rural:R{i:07d}" for i in range(n)]
    with UnitOfWork(engine) as uow:
        open_accounts(uow.connection, [*recipients, EXPENSE])
        from ledger.journal import NewTransaction, PostingColumns

        recorded = post(
            uow.connection,
            NewTransaction(
                type="accrual",
                effective_date=date(2026, 11, 1),
                description="accrual",
                operator="finance",
                postings=PostingColumns(
                    accounts=[EXPENSE, *recipients], amounts_fen=[n * 100] + [-100] * n
                ),
            ),
        )
        uow.commit()
    with engine.connect() as connection:
        assert count(connection, postings) == n + 1
        assert account_balance(connection, EXPENSE) == n * 100
    assert recorded.id == 1


def stage(connection: sa.Connection, rows: list[tuple[str, int, int | None]]) -> None:
    """Postings staged by SQL as a bulk caller does: by account id where open, else by
    name."""
    table = staging_table(connection)
    for name, amount, instruction in rows:
        connection.execute(
            sa.text(
                f"INSERT INTO {table} (account_id, account, amount_fen, instruction_id)"
                " SELECT (SELECT id FROM accounts WHERE name = :name), :name, :amount, :i"
            ),
            {"name": name, "amount": amount, "i": instruction},
        )


def staged_tx(key: str | None = None) -> StagedTransaction:
    return StagedTransaction("test", date(2026, 11, 5), "staged", "tester", key)


def test_staged_postings_are_recorded_in_account_order_and_the_chain_verifies(engine):
    with UnitOfWork(engine) as uow:
        post_lines(uow.connection, [(TREASURY, 1_000), (APPROPRIATION, -1_000)])
        open_accounts(uow.connection, [PAYABLE, CLEARING])
        stage(uow.connection, [(CLEARING, -300, 2), (TREASURY, 300, None), (PAYABLE, 1, 2)])
        with pytest.raises(ValidationError, match="sum to 1 fen"):
            post_staged(uow.connection, staged_tx())
        stage(uow.connection, [(CLEARING, -300, 2), (TREASURY, 300, None)])
        recorded = post_staged(uow.connection, staged_tx("staged-1"))
        stage(uow.connection, [(TREASURY, 300, None), (CLEARING, -300, 2)])
        again = post_staged(uow.connection, staged_tx("staged-1"))
        stage(uow.connection, [(TREASURY, 301, None), (CLEARING, -301, 2)])
        with pytest.raises(LedgerError, match="different content"):
            post_staged(uow.connection, staged_tx("staged-1"))
        uow.commit()
    assert recorded.created and not again.created and again.id == recorded.id
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(postings.c.account_id, postings.c.amount_fen)
            .where(postings.c.transaction_id == recorded.id)
            .order_by(postings.c.id)
        ).all()
        assert [r.amount_fen for r in rows] == [300, -300]  # treasury opened first
        assert rows[0].account_id < rows[1].account_id
        assert verify(connection).ok


def test_staged_postings_into_an_account_that_is_not_open_are_refused(engine):
    with UnitOfWork(engine) as uow:
        open_accounts(uow.connection, [TREASURY])
        stage(uow.connection, [(TREASURY, 100, None), (APPROPRIATION, -100, None)])
        with pytest.raises(LedgerError, match=r"not open.*Appropriation"):
            post_staged(uow.connection, staged_tx())
    with engine.connect() as connection:
        assert count(connection, transactions) == 0


def test_a_transaction_dated_beyond_today_and_the_margin_is_refused(engine):
    today = date.today()
    with UnitOfWork(engine) as uow:
        tomorrow = post_lines(
            uow.connection, [(TREASURY, 100), (APPROPRIATION, -100)], day=today + timedelta(1)
        )
        assert tomorrow.created  # the default margin is one day
        with pytest.raises(ValidationError) as caught:
            post(uow.connection, new_tx([(TREASURY, 100), (APPROPRIATION, -100)],
                                        day=today + timedelta(2)))  # fmt: skip
        assert (
            f"the effective date {today + timedelta(2)} is in the future: the latest date "
            f"allowed today ({today}) is {today + timedelta(1)}"
        ) in caught.value.problems[0]
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert count(uow.connection, transactions) == 1


def test_the_margin_for_future_dates_comes_from_the_unit_of_work(engine):
    today = date.today()
    tx = new_tx([(TREASURY, 100), (APPROPRIATION, -100)], day=today + timedelta(1))
    with UnitOfWork(engine, future_days=0) as uow:
        open_accounts(uow.connection, [TREASURY, APPROPRIATION])
        with pytest.raises(ValidationError, match="is in the future"):
            post(uow.connection, tx)
        assert post(uow.connection, new_tx(tx_postings(tx), day=today)).created
        uow.commit()
    with UnitOfWork(engine, future_days=5) as uow:
        assert post(uow.connection, new_tx(tx_postings(tx), day=today + timedelta(5))).created
    # The margin belonged to that unit of work only: the next one has the default.
    with UnitOfWork(engine) as uow, pytest.raises(ValidationError, match="is in the future"):
        post(uow.connection, new_tx(tx_postings(tx), day=today + timedelta(5)))


def test_staged_postings_dated_in_the_future_are_refused(engine):
    with UnitOfWork(engine) as uow:
        open_accounts(uow.connection, [TREASURY, APPROPRIATION])
        stage = staging_table(uow.connection)
        uow.connection.exec_driver_sql(
            f"INSERT INTO {stage} (account, amount_fen) VALUES ('{TREASURY}', 100), "
            f"('{APPROPRIATION}', -100)"
        )
        day = date.today() + timedelta(days=9)
        with pytest.raises(ValidationError, match=f"the effective date {day} is in the future"):
            post_staged(uow.connection, StagedTransaction("test", day, "staged", "tester"))
        assert count(uow.connection, transactions) == 0


def tx_postings(tx):  # type: ignore[no-untyped-def]
    return list(zip(tx.postings.accounts, tx.postings.amounts_fen, strict=True))
