"""Bench `ledger audit verify` before and after the event chain (issue 16).

    python bench/bench_verify.py                         # 10^6 x 12 months, both databases
    python bench/bench_verify.py --recipients 100000 --no-postgres
    python bench/bench_verify.py --keep /tmp/verify.db   # keep (and reuse) the SQLite file

Builds the ledger of ``bench_history`` (N recipients, 12 monthly batches of N
instructions and entitlements, 24·N postings...), then times:

- ``before``: the journal's verification alone (what `audit verify` did until now);
- ``genesis``: one genesis event per scope (each batch, the roster, ...), i.e. hashing
  every workflow row once: what migration 0017 costs an existing ledger, and an upper
  bound of what a state change's event costs (it hashes only the scopes it touched);
- ``after``: the journal's and the events' verification (chain + every scope's rows
  recomputed): what `audit verify` does now. The issue's bound: after <= 2 x before.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_history import PG_ADMIN, build

from ledger.db.engine import make_engine
from ledger.db.event_verify import verify_events
from ledger.db.genesis import write_genesis
from ledger.db.verify import verify as verify_journal


def measure(url: str) -> None:
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.connect() as c:
        journal = verify_journal(c)
    before = time.perf_counter() - started
    print(
        f"  before: journal verify {before:.1f}s ({journal.transactions_checked} transactions,"
        f" {journal.postings_checked} postings)"
    )
    started = time.perf_counter()
    with engine.begin() as c:
        scopes = write_genesis(c, operator="bench")
    print(f"  genesis: {scopes} scopes hashed in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    with engine.connect() as c:
        verify_journal(c)
        journal_done = time.perf_counter() - started
        events = verify_events(c)
    after = time.perf_counter() - started
    bad = [m for _, _, m in events.problems]
    print(
        f"  after: journal + events verify {after:.1f}s (events part"
        f" {after - journal_done:.1f}s, {events.events_checked} events, {events.scopes_checked}"
        f" scopes, {len(bad)} problems{': ' + bad[0] if bad else ''})"
    )
    print(f"  ratio after/before: {after / before:.2f}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="SQLite file to keep/reuse")
    args = parser.parse_args()
    n, months = args.recipients, args.months
    print(f"audit verify bench: {n} recipients x {months} months (load {os.getloadavg()})")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            path = args.keep or Path(folder) / "verify.db"
            url = f"sqlite:///{path}"
            if not path.exists():
                print(f"sqlite: built in {build(url, n, months):.0f}s ({path})")
            else:
                print(f"sqlite: reusing {path}")
            measure(url)
    if not args.no_postgres:
        try:
            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            name = f"ledger_bench_verify_{os.getpid()}"
            with admin.connect() as c:
                c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except Exception as error:  # no server: say so and stop
            print(f"postgresql: not reachable ({type(error).__name__}); skipped")
            return
        url = sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            print(f"postgresql: built in {build(url, n, months):.0f}s")
            measure(url)
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
