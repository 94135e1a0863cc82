"""Bulk posting: one transaction of N postings through the journal, next to the floor.

For each N (default 10^5 and 10^6) this prints, on SQLite:
- floor: plain sqlite3 executemany of the same (transaction_id, account_id, amount_fen,
  instruction_id) tuples into a table of the same shape and indexes, no triggers;
- journal: ``journal_store.post`` of one transaction with N postings (validation, hash,
  postings written in bulk, header insert with the database's balance/chain/rule checks),
  committed;
and, when PostgreSQL is reachable (LEDGER_BENCH_PG_URL or the local server), the journal
on PostgreSQL (COPY). Each case runs in its own process so that peak memory (max RSS) is
its own.

    python bench/bench_journal.py [N ...]
"""

import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

PG_URL = os.environ.get("LEDGER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def accounts_for(n: int) -> list[str]:
    # One expense debited, n payables credited: the shape of a monthly accrual.
    return ["Expenses:Assistance:dibao_rural:T01"] + [
        f"Liabilities:Payable:dibao_rural:R{i:07d}" for i in range(n - 1)
    ]


def amounts_for(n: int) -> list[int]:
    return [(n - 1) * 50_000] + [-50_000] * (n - 1)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def case_floor(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        connection = sqlite3.connect(Path(folder) / "floor.db", isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute(
            "CREATE TABLE postings (id INTEGER PRIMARY KEY, transaction_id BIGINT NOT NULL,"
            " account_id BIGINT NOT NULL, amount_fen BIGINT NOT NULL, instruction_id BIGINT)"
        )
        for column in ("transaction_id", "account_id", "instruction_id"):
            connection.execute(f"CREATE INDEX ix_{column} ON postings ({column})")
        rows = list(zip([1] * n, range(1, n + 1), amounts_for(n), [None] * n, strict=True))
        start = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO postings (transaction_id, account_id, amount_fen, instruction_id)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )
        connection.execute("COMMIT")
        elapsed = time.perf_counter() - start
        connection.close()
    return elapsed, peak_mb()


def case_journal(n: int, url: str | None) -> tuple[float, float]:
    from ledger.db import migrate
    from ledger.db.accounts_store import open_accounts
    from ledger.db.engine import make_engine
    from ledger.db.journal_store import post
    from ledger.db.uow import UnitOfWork
    from ledger.journal import NewTransaction, PostingColumns

    with tempfile.TemporaryDirectory() as folder:
        drop = None
        if url is None:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
        else:
            url, drop = _fresh_pg_database(url)
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            names = accounts_for(n)
            with UnitOfWork(engine) as uow:
                open_accounts(uow.connection, names)
                uow.commit()
            tx = NewTransaction(
                type="accrual",
                effective_date=date(2026, 11, 1),
                description=f"bench accrual of {n} postings",
                operator="bench",
                postings=PostingColumns(accounts=names, amounts_fen=amounts_for(n)),
            )
            start = time.perf_counter()
            with UnitOfWork(engine) as uow:
                post(uow.connection, tx)
                uow.commit()
            elapsed = time.perf_counter() - start
        finally:
            engine.dispose()
            if drop is not None:
                drop()
    return elapsed, peak_mb()


def _fresh_pg_database(admin_url: str):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"ledger_bench_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def pg_reachable() -> bool:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_URL)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        engine.dispose()
        return True
    except Exception:
        return False


def run_child(kind: str, n: int) -> tuple[float, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(output[0]), float(output[1])


def line(n: int, case: str, seconds: float, mb: float, floor: float | None) -> str:
    ratio = f"{seconds / floor:>9.2f}" if floor else f"{'':>9}"
    return f"{n:>9}  {case:<22}{seconds:>9.2f}{n / seconds:>12,.0f}{mb:>9.0f}{ratio}"


def main(sizes: list[int]) -> None:
    with_pg = pg_reachable()
    print(f"bulk posting, one transaction of N postings (python {sys.version.split()[0]})")
    print(f"{'N':>9}  {'case':<22}{'seconds':>9}{'postings/s':>12}{'peak MB':>9}{'x floor':>9}")
    for n in sizes:
        floor, floor_mb = run_child("floor", n)
        print(line(n, "sqlite3 floor", floor, floor_mb, floor))
        took, mb = run_child("sqlite", n)
        print(line(n, "journal on SQLite", took, mb, floor))
        if with_pg:
            took, mb = run_child("postgresql", n)
            print(line(n, "journal on PostgreSQL", took, mb, None))
    if not with_pg:
        print(f"(PostgreSQL not reachable at {PG_URL}: skipped)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, n = sys.argv[2], int(sys.argv[3])
        if kind == "floor":
            seconds, mb = case_floor(n)
        else:
            seconds, mb = case_journal(n, None if kind == "sqlite" else PG_URL)
        print(seconds, mb)
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
