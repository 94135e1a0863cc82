"""Bench `ledger web`: start-up and every page's time over a large ledger.

    python bench/bench_web.py                              # 10^5 x 12 months, SQLite + PostgreSQL
    python bench/bench_web.py --recipients 1000000 --months 12
    python bench/bench_web.py --no-postgres --keep /tmp/web.db   # keep (and reuse) the file

The ledger is built by ``bench_history.build`` (set-based, the same shape: N recipients,
N payables, 12 batches of N instructions, N outcomes, 2N postings a month), plus one
finding per 1,000 recipients (D01, citing that month's instruction) and an auditor with
a console password. Its hash chain is synthetic, so the background verification reports
it broken: only its duration is the figure here.

Start-up: ``create_app`` until the login page answers (the chain verification runs in a
background thread and is timed on its own). Pages: each requested ``--repeat`` times
through the WSGI app (no network), signed in as the auditor; median and max in ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from bench_history import PG_ADMIN, build

from ledger.county import example_path, load_county
from ledger.db import operators_store
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from ledger.operators import Role
from ledger.web.app import WebSettings, create_app
from ledger.web.signin import set_password

PASSWORD = "bench-password-1"


def plant(url: str, n: int, months: int) -> None:
    """One D01 finding per 1,000 recipients in the last month, and the auditor."""
    engine = make_engine(url)
    base = (months - 1) * n
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO findings (id, fingerprint, rule, category, severity, subject_type,"
                " subject_id, period, township, program, recipient_id, amount_fen,"
                " recovered_fen, evidence, summary, status, first_detected_at,"
                " last_detected_at) SELECT i, 'fp' || i, 'D01', 'diverted', 'high',"
                " 'recipient', 'R' || i, :period, 'T01', 'dibao_rural', i, 30000, 0,"
                " '{\"instruction_ids\": [' || (:base + i) || ']}', 'the bank rejected the"
                " payee name (BE01)', 'open', '2026-12-25 00:00:00', '2026-12-25 00:00:00'"
                " FROM bench_seq WHERE i % 1000 = 0"
            ),
            {"period": f"2026-{months:02d}", "base": base},
        )
        operators_store.insert(
            c,
            name="bench.audit",
            key="bench.audit",
            full_name="基准审计",
            department="审计",
            roles=[Role.AUDITOR],
            by="bench",
        )
    with UnitOfWork(engine) as uow:
        set_password(uow, "bench.audit", PASSWORD, by="bench")
    engine.dispose()


def pages(n: int, months: int) -> list[tuple[str, str, dict[str, str] | None]]:
    """(label, path, POST form or None)."""
    last = months
    base = (last - 1) * n
    key = "R0001000"
    accrual_tx, funding_tx = 2 + (last - 1) * 3, 3 + (last - 1) * 3
    return [
        ("overview", f"/?period=2026-{last:02d}", None),
        ("findings list", f"/findings?period=2026-{last:02d}", None),
        ("finding", "/findings/1000", None),
        ("instruction (bank line, answer, postings)", f"/instructions/{base + 1000}", None),
        ("transaction (funding, 2 postings)", f"/transactions/{funding_tx}", None),
        (
            f"transaction (accrual, {n + 10} postings; 500 shown)",
            f"/transactions/{accrual_tx}",
            None,
        ),
        ("person history", f"/people/{key}", None),
        ("batch", f"/batches/{last}", None),
        ("return file", f"/returns/{last}", None),
        (
            "account: treasury, one period",
            f"/accounts/Assets:Treasury:dibao_rural?period=2026-{last:02d}",
            None,
        ),
        ("account: one payable", f"/accounts/Liabilities:Payable:dibao_rural:{key}", None),
        ("trial balance tree", "/trial-balance", None),
        ("trial balance, one township open", "/trial-balance?open=dibao_rural:T01", None),
        ("search by ID number", "/search", {"kind": "id", "q": "130123194010000000"}),
        ("search by card number", "/search", {"kind": "card", "q": "6217000000000001000"}),
        ("search by name", "/search", {"kind": "name", "q": "王001"}),
        (
            "download findings CSV",
            f"/findings?period=2026-{last:02d}&download=csv&table=findings",
            None,
        ),
    ]


def process_startup(url: str) -> float:
    """Seconds from starting `ledger web` (a new process: imports, engines, the app) until
    its login page answers."""
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).parent / "ledger"), "--db", url, "web"]
    command += ["--county", str(example_path()), "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < 120:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("ledger web did not answer within 120 s")
    finally:
        process.terminate()
        process.wait(10)


def measure(url: str, n: int, months: int, repeat: int) -> None:
    import re

    print(
        f"  start-up of `ledger web` (new process until the login page answers): "
        f"{process_startup(url) * 1000:.0f} ms"
    )
    started = time.perf_counter()
    reader, writer = make_engine(url, read_only=True), make_engine(url)
    app = create_app(reader, writer, load_county(example_path()), WebSettings(page_rows=500))
    client = app.test_client()
    login = client.get("/login")
    startup = time.perf_counter() - started
    assert login.status_code == 200
    print(f"  start-up in process (create_app + first page): {startup * 1000:.0f} ms")
    token = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert token
    signed = client.post(
        "/login", data={"csrf": token.group(1), "name": "bench.audit", "password": PASSWORD}
    )
    assert signed.status_code == 302, signed.text
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/search").text)
    assert token
    # The pages are timed once the start-up verification is done (it runs in the
    # background and would otherwise compete with them for the CPU).
    chain = app.config["LEDGER"].chain
    chain.wait(3600)
    state = chain.state
    print(
        f"  chain verification (background, at start-up): {state.seconds:.1f} s over "
        f"{state.transactions} transactions, {state.postings} postings"
    )
    for label, path, form in pages(n, months):
        times = []
        status = 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            if form is None:
                response: Any = client.get(path)
            else:
                response = client.post(path, data={"csrf": token.group(1), **form})
            times.append((time.perf_counter() - t0) * 1000)
            status = response.status_code
        flag = "" if status == 200 else f"  (HTTP {status})"
        print(
            f"  {label:48} median {statistics.median(times):8.1f} ms   max {max(times):8.1f} ms"
            f"{flag}"
        )
    chain.stop()
    reader.dispose()
    writer.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="SQLite file to keep/reuse")
    args = parser.parse_args()
    n, months = args.recipients, args.months
    print(f"web console bench: {n} recipients x {months} months (load {os.getloadavg()})")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            path = args.keep or Path(folder) / "web.db"
            url = f"sqlite:///{path}"
            if not path.exists():
                print(f"sqlite: built in {build(url, n, months):.0f}s ({path})")
                plant(url, n, months)
            print("sqlite:")
            measure(url, n, months, args.repeat)
    if not args.no_postgres:
        try:
            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            name = f"ledger_bench_web_{os.getpid()}"
            with admin.connect() as c:
                c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except Exception as error:  # no server: say so and stop
            print(f"postgresql: not reachable ({type(error).__name__}); skipped")
            return
        url = sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            print(f"postgresql: built in {build(url, n, months):.0f}s")
            plant(url, n, months)
            print("postgresql:")
            measure(url, n, months, args.repeat)
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
