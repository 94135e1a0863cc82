"""``post_many``: many small transactions in one call, with ``post``'s guarantees."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from ledger.db.accounts_store import open_accounts
from ledger.db.balances import account_balance, trial_balance
from ledger.db.journal_many import post_many
from ledger.db.journal_store import post
from ledger.db.periods_store import close_period
from ledger.db.schema import postings, transactions
from ledger.db.uow import UnitOfWork
from ledger.db.verify import verify
from ledger.errors import LedgerError, ValidationError
from tests.helpers import new_tx

TREASURY = "Assets:Treasury:dibao_rural"
APPROPRIATION = "Income:Appropriation:central:dibao_rural"
EXPENSE = "Expenses:Assistance:dibao_rural:T01"
CLEARING = "Assets:BankClearing:ICBC"
NOW = datetime(2026, 11, 6, 9, 30, tzinfo=UTC)


def payable(i: int) -> str:
    return f"Liabilities:Payable:dibao_rural:R{i:07d}"


def peers(n: int) -> list:  # type: ignore[type-arg]
    """Funding, then an accrual and a payment per recipient (2n+1 transactions)."""
    txs = [new_tx([(CLEARING, n * 500_00), (APPROPRIATION, -n * 500_00)], type_="funding")]
    txs += [new_tx([(EXPENSE, 500_00), (payable(i), -500_00)], type_="accrual") for i in range(n)]
    txs += [new_tx([(payable(i), 500_00), (CLEARING, -500_00)], type_="payment") for i in range(n)]
    return txs


def open_all(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        open_accounts(
            uow.connection,
            [TREASURY, APPROPRIATION, EXPENSE, CLEARING] + [payable(i) for i in range(n)],
        )
        uow.commit()


def count(connection: sa.Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_many_transactions_are_recorded_as_post_would_record_them(engine, tmp_path):
    from ledger.db import migrate
    from ledger.db.engine import make_engine

    open_all(engine, 3)
    with UnitOfWork(engine) as uow:
        recorded = post_many(uow.connection, peers(3), now=NOW)
        uow.commit()
    assert [r.id for r in recorded] == list(range(1, 8)) and all(r.created for r in recorded)
    with engine.connect() as connection:
        report = verify(connection)
        assert report.ok, report.problems
        assert report.transactions_checked == 7 and report.postings_checked == 14
        assert account_balance(connection, CLEARING) == 0
        assert account_balance(connection, EXPENSE) == 3 * 500_00
        assert all(account_balance(connection, payable(i)) == 0 for i in range(3))
        assert sum(b.balance_fen for b in trial_balance(connection)) == 0
    # The same transactions through `post` on another ledger chain to the same hashes.
    other = make_engine(f"sqlite:///{tmp_path / 'one_by_one.db'}")
    migrate.upgrade(other)
    open_all(other, 3)
    with UnitOfWork(other) as uow:
        one_by_one = [post(uow.connection, tx, now=NOW) for tx in peers(3)]
        uow.commit()
    other.dispose()
    assert [r.hash for r in one_by_one] == [r.hash for r in recorded]


def test_calling_again_with_the_same_keys_records_nothing_new(engine):
    open_all(engine, 2)
    keyed = [
        new_tx([(EXPENSE, 100), (payable(i), -100)], key=f"accrual-{i}", type_="accrual")
        for i in range(2)
    ]
    with UnitOfWork(engine) as uow:
        first = post_many(uow.connection, keyed)
        uow.commit()
    more = new_tx([(EXPENSE, 100), (payable(0), -100)], key="accrual-2", type_="accrual")
    with UnitOfWork(engine) as uow:
        again = post_many(uow.connection, [*keyed, more])
        uow.commit()
    assert [(r.id, r.created) for r in again] == [
        (first[0].id, False),
        (first[1].id, False),
        (3, True),
    ]
    changed = new_tx([(EXPENSE, 101), (payable(0), -101)], key="accrual-0", type_="accrual")
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="different content"):
        post_many(uow.connection, [changed])
    with engine.connect() as connection:
        assert count(connection, transactions) == 3


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (
            new_tx([(EXPENSE, 100), (payable(0), -99)]),
            ValidationError,
            r"transaction 3 .*sum to 1 fen",
        ),
        (new_tx([(EXPENSE, 100), (payable(9), -100)]), LedgerError, "not open: 'Liabilities"),
        (
            new_tx([(EXPENSE, 100), (payable(0), -100)], day=date(2026, 10, 5)),
            LedgerError,
            "2026-10 is closed",
        ),
        (
            new_tx([(EXPENSE, 100), (payable(0), -100)], day=date(2099, 1, 1)),
            ValidationError,
            "in the future",
        ),
    ],
    ids=["unbalanced", "account not open", "closed period", "future date"],
)
def test_one_bad_transaction_refuses_the_whole_call(engine, bad, error, message):
    open_all(engine, 1)
    with UnitOfWork(engine) as uow:
        close_period(uow.connection, "2026-10", operator="tester")
        uow.commit()
    good = new_tx([(EXPENSE, 100), (payable(0), -100)])
    with UnitOfWork(engine) as uow, pytest.raises(error, match=message):
        post_many(uow.connection, [good, good, bad, good])
    with engine.connect() as connection:
        assert count(connection, transactions) == 0
        assert count(connection, postings) == 0


def test_a_payment_before_its_accrual_in_the_call_is_refused(engine):
    """The payable would go debit at the payment (as `post` would refuse it), even though
    the accrual later in the call brings it back to zero."""
    open_all(engine, 1)
    pay = new_tx([(payable(0), 500_00), (CLEARING, -500_00)], type_="payment")
    accrue = new_tx([(EXPENSE, 500_00), (payable(0), -500_00)], type_="accrual")
    with (
        UnitOfWork(engine) as uow,
        pytest.raises(LedgerError, match=r"transaction 1 .* would go debit"),
    ):
        post_many(uow.connection, [pay, accrue])
    # Accrued in an earlier call, paid now: the recorded balance counts.
    with UnitOfWork(engine) as uow:
        post_many(uow.connection, [accrue])
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert post_many(uow.connection, [pay])[0].created
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="would go debit"):
        post_many(uow.connection, [pay])


def test_the_treasury_may_not_go_negative_within_the_call(engine):
    open_all(engine, 0)
    spend = new_tx([(EXPENSE, 100), (TREASURY, -100)])
    fund = new_tx([(TREASURY, 100), (APPROPRIATION, -100)])
    with (
        UnitOfWork(engine) as uow,
        pytest.raises(LedgerError, match=r"Treasury.* would go negative"),
    ):
        post_many(uow.connection, [spend, fund])
    with UnitOfWork(engine) as uow:
        post_many(uow.connection, [fund, spend])
        uow.commit()
    with engine.connect() as connection:
        assert account_balance(connection, TREASURY) == 0


def test_a_key_twice_in_one_call_is_refused(engine):
    open_all(engine, 1)
    tx = new_tx([(EXPENSE, 100), (payable(0), -100)], key="k")
    with UnitOfWork(engine) as uow, pytest.raises(ValidationError, match="repeats transaction 1"):
        post_many(uow.connection, [tx, tx])


def test_many_bad_transactions_are_counted_after_the_first_twenty(engine):
    bad = [new_tx([(EXPENSE, 100), (payable(0), -99)]) for _ in range(25)]
    with UnitOfWork(engine) as uow, pytest.raises(ValidationError) as refused:
        post_many(uow.connection, bad)
    assert len(refused.value.problems) == 21
    assert refused.value.problems[-1] == "and 5 more problems"


def test_an_empty_call_records_nothing(engine):
    with UnitOfWork(engine) as uow:
        assert post_many(uow.connection, []) == []
