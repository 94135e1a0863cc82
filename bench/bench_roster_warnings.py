"""Bench: storing a roster import's warnings (``roster_import_warnings``).

Stores N warnings of one import (the shape a roster with a warning on every row gives)
and reads them back, on SQLite and, when reachable, PostgreSQL (LEDGER_BENCH_PG_URL,
default the local test server); prints seconds and rows per second.

    python bench/bench_roster_warnings.py [--sizes 100000,1000000] [--no-postgres]
"""

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from ledger.db import roster_warnings
from ledger.db.engine import make_engine
from ledger.db.migrate import upgrade
from ledger.db.schema import roster_imports
from ledger.tabular import Problems

PG_ADMIN = os.environ.get(
    "LEDGER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MESSAGE = "differs from the recipient's name (account held by someone else?)"


def one(url: str, size: int) -> tuple[float, float]:
    engine = make_engine(url)
    upgrade(engine)
    problems = Problems("roster.csv")
    for row in range(2, size + 2):
        problems.add(row, "账户户名", MESSAGE, warning=True)
    with engine.begin() as connection:
        import_id = connection.execute(
            roster_imports.insert()
            .values(
                file_name="roster.csv",
                file_sha256=uuid.uuid4().hex * 2,
                row_count=size,
                operator="bench",
                imported_at=datetime.now(UTC),
            )
            .returning(roster_imports.c.id)
        ).scalar_one()
        started = time.perf_counter()
        roster_warnings.store_warnings(connection, int(import_id), problems.all_warnings)
        stored = time.perf_counter() - started
    started = time.perf_counter()
    with engine.connect() as connection:
        assert len(roster_warnings.import_warnings(connection, int(import_id))) == size
    read = time.perf_counter() - started
    engine.dispose()
    return stored, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            stored, read = one(f"sqlite:///{Path(folder) / 'bench.db'}", size)
        print(f"sqlite      {size:>9,} warnings: store {stored:6.2f} s "
              f"({size / stored:,.0f}/s), list {read:6.2f} s")  # fmt: skip
    if args.no_postgres:
        return
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError:
        print("postgresql: not reachable, skipped")
        return
    for size in sizes:
        name = f"bench_warnings_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
            stored, read = one(url, size)
            print(f"postgresql  {size:>9,} warnings: store {stored:6.2f} s "
                  f"({size / stored:,.0f}/s), list {read:6.2f} s")  # fmt: skip
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


if __name__ == "__main__":
    main()
