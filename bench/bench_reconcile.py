"""Bench importing a bank return (CSV profile) with its postings: 10^5 and 10^6 lines.

    python bench/bench_reconcile.py                    # 10^5 and 10^6 on SQLite
    python bench/bench_reconcile.py --sizes 100000 --postgres

Builds the batch with bench_batch's helpers (roster, run, approve, CSV export), writes
the bank's answer from the exported file (every 20th line failed 户名不符, every 50th
处理中, the rest 成功), then imports it in a fresh interpreter and prints seconds and peak
resident memory (MB, including the interpreter) for the parse alone and for the whole
import (parse, staging, matching, one journal transaction, outcomes, statuses).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_batch

from ledger import reconciliation
from ledger.db import migrate
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from ledger.files.returns import read_return


def write_return(export: Path, out: Path) -> None:
    data = export.read_bytes().rstrip(b"\r\n").split(b"\r\n")
    lines = [data[0], data[1] + ",状态,失败原因".encode("gb18030")]
    ok, failed, pending = (s.encode("gb18030") for s in (",成功,", ",失败,户名不符", ",处理中,"))
    for number, row in enumerate(data[2:], 1):
        lines.append(row + (failed if number % 20 == 0 else pending if number % 50 == 0 else ok))
    out.write_bytes(b"\r\n".join(lines) + b"\r\n")


def step_parse(url: str, path: str) -> str:
    parsed = read_return(path)
    return f"{len(parsed.lines):,} lines"


def step_import(url: str, path: str) -> str:
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        result = reconciliation.import_return(uow, path, operator="bench")
    return (
        f"{result.settled:,} settled, {result.failed:,} failed, {result.pending:,} pending, "
        f"{result.exceptions} exceptions; transaction {result.transaction_id}"
    )


def bench(label: str, url: str, n: int, out: str) -> None:
    started = time.perf_counter()
    bench_batch.generate(url, n)
    for _name, step in bench_batch.STEPS[:1] + bench_batch.STEPS[2:4]:  # run, approve, export
        bench_batch.measure(step, url, out)
    export = next(Path(out).glob("batch-000001-*.csv"))
    answer = Path(out) / "return.csv"
    write_return(export, answer)
    print(f"{label:<10} n={n:>9,}  setup {time.perf_counter() - started:7.1f} s", flush=True)
    for name, step in (("parse", step_parse), ("import", step_import)):
        seconds, peak, note = bench_batch.measure(step, url, str(answer))
        print(
            f"{label:<10} n={n:>9,}  {name:<7} {seconds:6.1f} s  peak {peak:6.0f} MB  {note}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--postgres", action="store_true", help="Also on PostgreSQL.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
            url = f"sqlite:///{tmp}/ledger.db"
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            bench("sqlite", url, n, tmp)
    if not args.postgres:
        return
    admin = sa.create_engine(bench_batch.PG_ADMIN, isolation_level="AUTOCOMMIT")
    for n in sizes:
        name = f"ledger_bench_rec_{os.getpid()}_{n}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = (
            sa.make_url(bench_batch.PG_ADMIN)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
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
