"""Bench the asset-list screening at ``batch run`` (vehicles, property, business, provident fund).

    python bench/bench_screening.py                 # 10^5 and 10^6 on SQLite (+ PostgreSQL)
    python bench/bench_screening.py --sizes 100000 --no-postgres

The roster is ``bench_batch.generate``'s (n recipients, one batch). Each asset list gets
n/10 rows (one in ten recipients is on it; one in ten of those beyond the county's
limits, the property owners with two homes). Prints the seconds of the whole
``batch run`` (in a fresh interpreter, screening included) and of each asset list's hold
SELECT alone, run again afterwards over the same batch as ``SELECT COUNT(*)`` (the rows
it would hold): their sum is what the asset lists add to the run.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from bench_batch import PG_ADMIN, generate, measure, step_run  # type: ignore[import-not-found]

from ledger.county import example_path, load_county
from ledger.db import migrate
from ledger.db.bulk import copy_rows
from ledger.db.engine import make_engine
from ledger.db.screening_store import asset_selects
from ledger.db.uow import UnitOfWork

COUNTY = load_county(example_path())


def id_number(i: int) -> str:
    """bench_batch.generate's ID number of recipient ``i``."""
    return f"130123{19400000 + i:08d}{i % 10000:04d}"


def load_lists(url: str, n: int) -> None:
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"
    now: Any = datetime(2026, 10, 20, tzinfo=UTC)
    if not postgres:
        now = "2026-10-20 00:00:00.000000"
    owners = range(1, n + 1, 10)
    with UnitOfWork(engine) as uow:
        c = uow.connection
        kinds = ("vehicles", "property", "business", "provident_fund")
        copy_rows(
            c,
            "refdata_imports",
            ("id", "kind", "file_name", "file_sha256", "row_count", "operator", "imported_at"),
            [(k + 1, kind, f"{kind}.csv", str(k) * 64, n // 10, "bench", now)
             for k, kind in enumerate(kinds)],
        )  # fmt: skip
        beyond = [i % 100 == 1 for i in owners]  # one owner in ten
        copy_rows(
            c,
            "ref_vehicles",
            ("import_id", "row_no", "id_number", "plate", "vehicle_type", "value_fen", "active"),
            [(1, r + 2, id_number(i), f"冀A{r % 100000:05d}", "小型轿车",
              90_000_00 if b else 30_000_00, True)
             for r, (i, b) in enumerate(zip(owners, beyond, strict=True))],
        )  # fmt: skip
        homes = []
        for r, (i, b) in enumerate(zip(owners, beyond, strict=True)):
            homes.append((2, len(homes) + 2, id_number(i), f"P{r}-1", "住宅", 90_00, True))
            if b:
                homes.append((2, len(homes) + 2, id_number(i), f"P{r}-2", "住宅", 60_00, True))
        copy_rows(
            c,
            "ref_property",
            ("import_id", "row_no", "id_number", "certificate_no", "usage", "area_dm2", "active"),
            homes,
        )
        copy_rows(
            c,
            "ref_businesses",
            ("import_id", "row_no", "id_number", "credit_code", "company", "capital_fen",
             "active"),
            [(3, r + 2, id_number(i), f"91130123MA{r:07d}X", f"公司{r}",
              500_000_00 if b else 50_000_00, True)
             for r, (i, b) in enumerate(zip(owners, beyond, strict=True))],
        )  # fmt: skip
        copy_rows(
            c,
            "ref_provident_fund",
            ("import_id", "row_no", "id_number", "employer", "monthly_deposit_fen", "active"),
            [(4, r + 2, id_number(i), "某公司", 420_00, b)
             for r, (i, b) in enumerate(zip(owners, beyond, strict=True))],
        )  # fmt: skip
        if postgres:
            c.exec_driver_sql("SELECT setval(pg_get_serial_sequence('refdata_imports', 'id'), 4)")
            c.exec_driver_sql("ANALYZE")
        uow.commit()
    engine.dispose()


def time_selects(url: str) -> list[tuple[str, float, int]]:
    engine = make_engine(url)
    out = []
    with engine.connect() as connection:
        batch_ids = list(connection.execute(sa.text("SELECT id FROM batches")).scalars())
        params: dict[str, Any] = {f"sb{k}": int(b) for k, b in enumerate(batch_ids)}
        selects = asset_selects(batch_ids, COUNTY.screening, engine.dialect.name)
        for reason, select in selects.items():
            started = time.perf_counter()
            count = connection.execute(
                sa.text(f"SELECT COUNT(*) FROM ({select}) t"), params
            ).scalar_one()
            out.append((reason, time.perf_counter() - started, int(count)))
    engine.dispose()
    return out


def bench(label: str, url: str, n: int, out: str) -> None:
    started = time.perf_counter()
    generate(url, n)
    load_lists(url, n)
    print(f"{label:<10} n={n:>9,}  generate+lists {time.perf_counter() - started:7.1f} s")
    seconds, peak, note = measure(step_run, url, out)
    print(f"{label:<10} n={n:>9,}  batch run      {seconds:7.1f} s  peak {peak:5.0f} MB  {note}")
    total = 0.0
    for reason, elapsed, count in time_selects(url):
        total += elapsed
        print(f"{label:<10} n={n:>9,}  {reason:<14} {elapsed:7.2f} s  {count:>8,} held")
    print(f"{label:<10} n={n:>9,}  asset lists    {total:7.2f} s  ({100 * total / seconds:.1f}% "
          "of the run)", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
            url = f"sqlite:///{tmp}/ledger.db"
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            bench("sqlite", url, n, tmp)
    if args.no_postgres:
        return
    try:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as error:
        print(f"postgresql: not reachable ({type(error).__name__}); skipped", file=sys.stderr)
        return
    for n in sizes:
        name = f"ledger_bench_screening_{os.getpid()}_{n}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
                bench("postgresql", url, n, tmp)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


if __name__ == "__main__":
    main()
