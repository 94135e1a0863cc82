"""What a PostgreSQL server needs for a province: WAL volume and sort/hash memory, measured.

    python bench/bench_pg_settings.py              # one transaction of 10^6 postings
    python bench/bench_pg_settings.py --postings 100000

On a fresh migrated database (LEDGER_BENCH_PG_URL or the local server) it posts one
accrual of N postings through ``journal_store.post`` (the batch approval's shape) and
prints the WAL it wrote (``pg_stat_wal``) and the checkpoints the server was forced into
meanwhile (``pg_stat_bgwriter.checkpoints_req``: WAL beyond ``max_wal_size`` forces one);
then it runs the trial balance's query under ``EXPLAIN (ANALYZE, BUFFERS)`` with several
``work_mem`` values (a session setting: the server's own settings are only read, never
changed) and prints its time and whether the aggregate and the sort spilled to disk.
"""

import argparse
import os
import re
import time
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ledger.db import migrate
from ledger.db.accounts_store import open_accounts
from ledger.db.balances import _balances_query
from ledger.db.engine import make_engine
from ledger.db.journal_store import post
from ledger.db.uow import UnitOfWork
from ledger.journal import NewTransaction, PostingColumns

PG_URL = os.environ.get("LEDGER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SETTINGS = ("shared_buffers", "max_wal_size", "work_mem", "maintenance_work_mem")


def wal_and_checkpoints(connection: sa.Connection) -> tuple[int, int]:
    wal = connection.exec_driver_sql("SELECT wal_bytes FROM pg_stat_wal").scalar_one()
    forced = connection.exec_driver_sql("SELECT checkpoints_req FROM pg_stat_bgwriter").scalar_one()
    return int(wal), int(forced)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--work-mem", nargs="*", default=["4MB", "16MB", "64MB", "256MB"])
    args = parser.parse_args()
    n = args.postings
    name = f"ledger_bench_settings_{os.getpid()}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        print(
            "server:",
            ", ".join(
                f"{s} {connection.exec_driver_sql(f'SHOW {s}').scalar_one()}" for s in SETTINGS
            ),
        )
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        migrate.upgrade(engine)
        names = ["Expenses:Assistance:dibao_rural:T01"] + [
            f"Liabilities:Payable:dibao_rural:R{i:07d}" for i in range(n - 1)
        ]
        with UnitOfWork(engine) as uow:
            open_accounts(uow.connection, names)
            uow.commit()
        tx = NewTransaction(
            type="accrual",
            effective_date=date(2026, 11, 1),
            description=f"bench accrual of {n} postings",
            operator="bench",
            postings=PostingColumns(
                accounts=names, amounts_fen=[(n - 1) * 50_000] + [-50_000] * (n - 1)
            ),
        )
        with admin.connect() as connection:
            wal_before, forced_before = wal_and_checkpoints(connection)
        start = time.perf_counter()
        with UnitOfWork(engine) as uow:
            post(uow.connection, tx)
            uow.commit()
        elapsed = time.perf_counter() - start
        with admin.connect() as connection:
            wal_after, forced_after = wal_and_checkpoints(connection)
        wal = wal_after - wal_before
        print(
            f"one transaction of {n} postings: {elapsed:.1f} s, WAL {wal / 2**20:.0f} MB"
            f" ({wal / n:.0f} bytes a posting),"
            f" {forced_after - forced_before} forced checkpoint(s) meanwhile (all databases)"
        )
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE postings")
            connection.exec_driver_sql("ANALYZE accounts")
            sql = str(
                _balances_query(None).compile(
                    dialect=connection.dialect, compile_kwargs={"literal_binds": True}
                )
            )
            for setting in args.work_mem:
                connection.exec_driver_sql(f"SET work_mem = '{setting}'")
                start = time.perf_counter()
                plan = "\n".join(
                    row[0]
                    for row in connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                )
                elapsed = time.perf_counter() - start
                spills = re.findall(
                    r"(Sort Method: external merge|Disk Usage: \d+kB|Batches: \d+)", plan
                )
                print(
                    f"trial balance, work_mem {setting:>6}: {elapsed:.2f} s;"
                    f" spill: {', '.join(spills) or 'none'}"
                )
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
