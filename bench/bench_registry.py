"""Bench: roster import of 10^5 and 10^6 rows (CSV), first month and next month.

Prints wall time and peak memory (VmHWM of a fresh process per case, and of its
read-ahead worker) on SQLite and, when reachable, on PostgreSQL (LEDGER_BENCH_PG_URL,
default the local test server), and the load average: the machine may be shared, so
figures are only comparable at a similar load.

    python bench/bench_registry.py [--sizes 100000,1000000] [--no-postgres]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

PG_ADMIN = os.environ.get(
    "LEDGER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def one_case(db_url: str, files: list[str]) -> None:
    """Run in a child process: import each file in turn, print timings as JSON."""
    from ledger import registry_import
    from ledger.county import example_path, load_county
    from ledger.db import migrate
    from ledger.db.engine import make_engine
    from ledger.files_util import sha256_of
    from ledger.roster import COLUMNS
    from ledger.tabular import open_table

    county = load_county(example_path())
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    watcher = WorkerWatch()
    watcher.start()
    out = []
    for index, name in enumerate(files):
        path = Path(name)
        started = time.perf_counter()
        table = open_table(path, COLUMNS)
        with engine.connect() as connection, connection.begin():
            result = registry_import.import_roster(
                connection,
                table,
                county,
                file_name=path.name,
                file_sha256=sha256_of(path),
                operator="bench",
                roster_month=f"2026-{index + 1:02d}",
            )
        out.append(
            {
                "file": path.name,
                "seconds": round(time.perf_counter() - started, 2),
                "added": result.added,
                "changed": result.changed,
                "exited": result.exited,
            }
        )
    engine.dispose()
    watcher.stop.set()
    watcher.join()
    print(
        json.dumps(
            {"imports": out, "peak_mb": round(_peak_mb()), "worker_mb": round(watcher.peak_mb)}
        )
    )


class WorkerWatch(threading.Thread):
    """The largest peak memory (VmHWM) of this process's children while they run: the
    read-ahead worker holds its own memory besides ours. (Not ru_maxrss of the children:
    that starts from the parent's size at fork.)"""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak_mb = 0.0

    def run(self) -> None:
        while not self.stop.wait(0.2):
            for children in Path("/proc/self/task").glob("*/children"):
                for pid in children.read_text().split():
                    try:
                        status = Path(f"/proc/{pid}/status").read_text()
                    except OSError:
                        continue
                    for line in status.splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)


def _peak_mb() -> float:
    """This process's own peak resident memory. Not ru_maxrss: on Linux that keeps the
    parent's resident size at fork across exec, so the child reported the parent's
    generated rosters (~1.5 GB at 10^6 rows) as its own peak. VmHWM starts at exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--no-postgres",
        "--no-pg",  # the earlier spelling
        dest="no_postgres",
        action="store_true",
        help="SQLite only (as bench_batch.py).",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        one_case(args.child[0], args.child[1:])
        return

    from ledger import synth
    from ledger.county import example_path, load_county

    county = load_county(example_path())
    engines = ["sqlite"]
    if not args.no_postgres:
        try:
            import sqlalchemy as sa

            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            engines.append("postgresql")
        except Exception as error:
            print(f"PostgreSQL not reachable ({type(error).__name__}); SQLite only")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            started = time.perf_counter()
            first = synth.roster(county, size, seed=1)
            month1 = synth.write_roster_csv(first, Path(tmp) / f"roster_{size}_1.csv")
            second = synth.next_month(first, seed=2)
            month2 = synth.write_roster_csv(
                second, Path(tmp) / f"roster_{size}_2.csv", encoding="gb18030"
            )
            del first, second
            megabytes = month1.stat().st_size / 1e6
            print(
                f"\n{size:,} rows: generated in {time.perf_counter() - started:.1f}s "
                f"(month 1 UTF-8 {megabytes:.0f} MB, month 2 GB18030 with 5% changes)"
            )
            for engine in engines:
                if engine == "sqlite":
                    url = f"sqlite:///{tmp}/bench_{size}.db"
                else:
                    name = f"ledger_bench_{uuid.uuid4().hex[:8]}"
                    with admin.connect() as connection:
                        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
                    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
                child = subprocess.run(
                    [sys.executable, __file__, "--child", url, str(month1), str(month2)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if engine == "postgresql":
                    with admin.connect() as connection:
                        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
                if child.returncode != 0:
                    print(child.stderr)
                    continue
                report = json.loads(child.stdout.strip().splitlines()[-1])
                for item in report["imports"]:
                    print(
                        f"  {engine:10s} {item['file']:22s} {item['seconds']:6.1f} s  "
                        f"added {item['added']:>8,}  changed {item['changed']:>7,}  "
                        f"exited {item['exited']:>7,}"
                    )
                peak, worker = report["peak_mb"], report["worker_mb"]
                print(
                    f"  {engine:10s} peak memory (both imports): {peak} MB in the importing "
                    "process, "
                    + (
                        f"{worker} MB in its read-ahead worker"
                        if worker
                        else "no read-ahead worker (files under 32 MB are read inline)"
                    )
                )
                load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
                print(f"  {engine:10s} load average after the imports (1, 5, 15 min): {load}")


if __name__ == "__main__":
    main()
