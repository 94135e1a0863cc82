"""The peers' journal: many small transactions, then the balance of every account.

    python bench/bench_peers.py                 # N = 10^5 and 10^6 recipients
    python bench/bench_peers.py 100000 --post-n 5000

For N recipients the journal is 2N+1 transactions of 2 postings each: one funding
(Dr Assets:BankClearing:ICBC / Cr Income:Appropriation, N x 500 yuan), then per
recipient an accrual (Dr Expenses:Assistance / Cr Liabilities:Payable:...:R{i}) and a
payment (Dr the payable / Cr the bank's clearing account, as the ledger's payments are
recorded); N + 3 accounts. Then the balance of every account. (Paying from the treasury
itself would cost each payment a sum over the treasury's whole history: the header
trigger's debit_only check; the ledger credits the treasury once per batch.)
It is built and timed, in the same run, by:

- raw sqlite3: executemany into three plain tables (accounts, transactions, postings,
  with the ledger's indexes), no triggers, no hashes, then one GROUP BY: the floor;
- ledger-cli (``ledger`` 3.x, apt package ``ledger``, when installed): the journal is
  written as its text file, then ``ledger -f FILE balance --flat --empty``;
- the journal API with ``post_many`` (accounts opened with ``open_accounts``, the
  transactions in calls of ``--chunk`` transactions, each call one statement set,
  then ``trial_balance``), committed, on a migrated SQLite ledger with its triggers;
- the journal API with one ``post`` per transaction, for the first ``--post-n``
  transactions only (it is ~100x the floor): its time per transaction is printed.

With ``--postgres`` the post_many case also runs on PostgreSQL (LEDGER_BENCH_PG_URL or
the local server). Printed: seconds per step and the ratios to the floor and ledger-cli.
"""

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

PG_URL = os.environ.get("LEDGER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PROGRAM = "dibao_rural"
CLEARING = "Assets:BankClearing:ICBC"
INCOME = f"Income:Appropriation:central:{PROGRAM}"
EXPENSE = f"Expenses:Assistance:{PROGRAM}:T01"
AMOUNT = 50_000  # fen, 500.00 yuan a month
DAY = date(2026, 11, 1)


def cpu() -> float:
    """CPU seconds of this process and its finished children (ledger-cli): on a busy
    machine the wall times swing, the CPU times much less (PostgreSQL's server time is
    not in them)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def payable(i: int) -> str:
    return f"Liabilities:Payable:{PROGRAM}:R{i:07d}"


def account_names(n: int) -> list[str]:
    return [CLEARING, INCOME, EXPENSE] + [payable(i) for i in range(n)]


def journal(n: int) -> Iterator[tuple[str, str, str, int]]:
    """(kind, debit account, credit account, amount) of each of the 2N+1 transactions."""
    yield "funding", CLEARING, INCOME, n * AMOUNT
    for i in range(n):
        yield "accrual", EXPENSE, payable(i), AMOUNT
    for i in range(n):
        yield "payment", payable(i), CLEARING, AMOUNT


def case_raw(n: int, folder: Path) -> dict[str, float]:
    connection = sqlite3.connect(folder / "raw.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.executescript(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
        "CREATE TABLE transactions (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
        " effective_date TEXT NOT NULL, description TEXT NOT NULL);"
        "CREATE TABLE postings (id INTEGER PRIMARY KEY, transaction_id BIGINT NOT NULL,"
        " account_id BIGINT NOT NULL, amount_fen BIGINT NOT NULL);"
        "CREATE INDEX ix_p_tx ON postings (transaction_id, account_id);"
        "CREATE INDEX ix_p_account ON postings (account_id);"
    )
    times = {}
    started = cpu()
    start = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    names = account_names(n)
    connection.executemany("INSERT INTO accounts (id, name) VALUES (?, ?)", enumerate(names, 1))
    ids = {name: k for k, name in enumerate(names, 1)}
    headers, postings = [], []
    for k, (kind, debit, credit, amount) in enumerate(journal(n), 1):
        headers.append((k, kind, DAY.isoformat(), kind))
        postings.append((k, ids[debit], amount))
        postings.append((k, ids[credit], -amount))
    connection.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?)", headers)
    connection.executemany(
        "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES (?, ?, ?)", postings
    )
    connection.execute("COMMIT")
    times["post"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = connection.execute(
        "SELECT a.name, b.total FROM (SELECT account_id, SUM(amount_fen) AS total"
        " FROM postings GROUP BY account_id) b JOIN accounts a ON a.id = b.account_id"
        " ORDER BY a.name"
    ).fetchall()
    times["balances"] = time.perf_counter() - start
    assert len(rows) == n + 3 and sum(r[1] for r in rows) == 0
    connection.close()
    times["cpu"] = cpu() - started
    return times


def ledger_cli() -> str | None:
    """The ledger-cli binary (not this project's ``ledger`` command of the same name)."""
    for folder in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin"]:
        candidate = shutil.which("ledger", path=folder)
        if candidate is None:
            continue
        try:
            out = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.startswith("Ledger 3"):
            return candidate
    return None


def case_ledger_cli(n: int, folder: Path, binary: str) -> dict[str, float]:
    path = folder / "peers.ledger"
    started = cpu()
    start = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        day = DAY.strftime("%Y/%m/%d")
        for kind, debit, credit, amount in journal(n):
            yuan = f"{amount // 100}.{amount % 100:02d}"
            out.write(f"{day} {kind}\n    {debit}  CNY {yuan}\n    {credit}\n\n")
    times = {"post": time.perf_counter() - start}
    start = time.perf_counter()
    result = subprocess.run(
        [binary, "-f", str(path), "balance", "--flat", "--empty", "--no-total"],
        capture_output=True,
        text=True,
        check=True,
    )
    times["balances"] = time.perf_counter() - start
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) >= n + 1, len(lines)  # zero balances may be omitted
    times["cpu"] = cpu() - started
    return times


def case_journal(n: int, url: str, chunk: int, post_n: int | None) -> dict[str, float]:
    from ledger.db import migrate
    from ledger.db.accounts_store import open_accounts
    from ledger.db.balances import trial_balance
    from ledger.db.engine import make_engine
    from ledger.db.journal_many import post_many
    from ledger.db.journal_store import post
    from ledger.db.uow import UnitOfWork
    from ledger.journal import NewTransaction, PostingColumns

    engine = make_engine(url)
    migrate.upgrade(engine)

    def transactions() -> Iterator[NewTransaction]:
        for kind, debit, credit, amount in journal(n):
            yield NewTransaction(
                type=kind,
                effective_date=DAY,
                description=kind,
                operator="bench",
                postings=PostingColumns(accounts=(debit, credit), amounts_fen=(amount, -amount)),
            )

    times = {}
    started = cpu()
    try:
        start = time.perf_counter()
        with UnitOfWork(engine) as uow:
            open_accounts(uow.connection, account_names(n))
            uow.commit()
        times["open accounts"] = time.perf_counter() - start
        if post_n:  # one `post` per transaction, as callers did before post_many
            cpu_before = cpu()
            start = time.perf_counter()
            with UnitOfWork(engine) as uow:
                for k, tx in enumerate(transactions()):
                    if k == post_n:
                        break
                    post(uow.connection, tx)
            times["post per tx (ms)"] = (time.perf_counter() - start) / post_n * 1000
            started += cpu() - cpu_before
        start = time.perf_counter()
        with UnitOfWork(engine) as uow:
            pending: list[NewTransaction] = []
            for tx in transactions():
                pending.append(tx)
                if len(pending) == chunk:
                    post_many(uow.connection, pending)
                    pending = []
            if pending:
                post_many(uow.connection, pending)
            uow.commit()
        times["post"] = time.perf_counter() - start
        start = time.perf_counter()
        with UnitOfWork(engine) as uow:
            rows = trial_balance(uow.connection)
        times["balances"] = time.perf_counter() - start
        assert len(rows) == n + 3 and sum(r.balance_fen for r in rows) == 0
        times["cpu"] = cpu() - started
    finally:
        engine.dispose()
    return times


def fresh_pg_database(admin_url: str) -> tuple[str, object]:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"ledger_bench_peers_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def wall(times: dict[str, float]) -> float:
    return sum(v for k, v in times.items() if k != "cpu" and not k.endswith("(ms)"))


def show(
    label: str,
    times: dict[str, float],
    floor: dict[str, float] | None,
    cli: dict[str, float] | None,
) -> None:
    total = wall(times)
    parts = "  ".join(f"{k} {v:.2f}" for k, v in times.items() if k != "cpu")
    ratios = ""
    for name, other in (("raw sqlite3", floor), ("ledger-cli", cli)):
        if other:
            ratios += (
                f"  {total / wall(other):.2f}x {name} (cpu {times['cpu'] / other['cpu']:.2f}x)"
            )
    print(
        f"  {label:24} {total:7.2f} s, cpu {times['cpu']:6.2f} s  ({parts}){ratios}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--chunk", type=int, default=100_000, help="transactions per call")
    parser.add_argument("--post-n", type=int, default=2000, help="0: skip the per-post case")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    binary = ledger_cli()
    if binary is None:
        print("ledger-cli not installed (apt-get install ledger): its case is skipped")
    for n in args.sizes:
        print(f"N = {n}: {2 * n + 1} transactions, {4 * n + 2} postings, {n + 3} accounts")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            raw = case_raw(n, folder)
            show("raw sqlite3", raw, None, None)
            cli = None
            if binary is not None:
                cli = case_ledger_cli(n, folder, binary)
                show("ledger-cli", cli, raw, None)
            times = case_journal(n, f"sqlite:///{folder / 'ledger.db'}", args.chunk, args.post_n)
            show("journal API (SQLite)", times, raw, cli)
            per_tx = times.get("post per tx (ms)")
            if per_tx:
                raw_per_tx = raw["post"] / (2 * n + 1) * 1000
                print(
                    f"  one post per tx: {per_tx:.3f} ms/tx = {per_tx / raw_per_tx:.0f}x raw "
                    f"sqlite3 per tx; post_many {times['post'] / (2 * n + 1) * 1000:.4f} ms/tx "
                    f"= {times['post'] / raw['post']:.2f}x raw sqlite3 (posting only)"
                )
            if args.postgres:
                url, drop = fresh_pg_database(PG_URL)
                try:
                    pg = case_journal(n, url, args.chunk, 0)
                finally:
                    drop()  # type: ignore[operator]
                show("journal API (PostgreSQL)", pg, raw, cli)


if __name__ == "__main__":
    main()
