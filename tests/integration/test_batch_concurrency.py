"""Two `batch run` for the same period at the same time on PostgreSQL: one batch."""

import threading

import pytest
import sqlalchemy as sa

from ledger import payments
from ledger.county import example_path, load_county
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from tests.support.roster import Person, add_people

COUNTY = load_county(example_path())


@pytest.mark.postgres
def test_two_simultaneous_runs_for_the_same_period_create_exactly_one_batch(pg_server):
    url = pg_server.new_database()
    engines = [make_engine(url) for _ in range(2)]
    try:
        with UnitOfWork(engines[0]) as uow:
            add_people(
                uow.connection,
                [
                    Person(
                        f"R{i:07d}", f"人{i}", f"1301231980010{i:05d}", account_number=f"62{i:017d}"
                    )
                    for i in range(1, 201)
                ],
            )
            uow.commit()
        barrier = threading.Barrier(2)
        results: list[payments.RunResult] = []
        errors: list[BaseException] = []

        def worker(engine: sa.Engine, operator: str) -> None:
            try:
                with UnitOfWork(engine) as uow:
                    barrier.wait()
                    results.append(payments.run_batches(uow, COUNTY, "2026-11", operator=operator))
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [
            threading.Thread(target=worker, args=(engine, f"op{n}"))
            for n, engine in enumerate(engines)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert sorted(len(r.created) for r in results) == [0, 1]
        assert sorted(len(r.existing) for r in results) == [0, 1]
        with engines[0].connect() as connection:
            assert connection.execute(sa.text("SELECT COUNT(*) FROM batches")).scalar_one() == 1
            assert (
                connection.execute(
                    sa.text("SELECT COUNT(*) FROM payment_instructions")
                ).scalar_one()
                == 200
            )
    finally:
        for engine in engines:
            engine.dispose()
        pg_server.drop(url)


@pytest.mark.postgres
def test_the_database_refuses_a_second_live_regular_batch_even_without_the_lock(pg_server):
    url = pg_server.new_database()
    engine = make_engine(url)
    try:
        insert = sa.text(
            "INSERT INTO batches (period, program, bank, kind, sequence, state,"
            " instruction_count, amount_fen_total, created_by, created_at)"
            " VALUES ('2026-11', 'dibao_rural', 'ICBC', 'regular', :seq, 'draft', 1, 100,"
            " 'x', now())"
        )
        with engine.begin() as connection:
            connection.execute(insert, {"seq": 0})
        with (
            pytest.raises(sa.exc.IntegrityError, match="uq_batches_live_regular"),
            engine.begin() as connection,
        ):
            connection.execute(insert, {"seq": 1})
    finally:
        engine.dispose()
        pg_server.drop(url)
