"""Bench `ledger audit history` at province scale: one person's history among 10^6.

    python bench/bench_history.py                        # 10^6 x 12 months, SQLite + PostgreSQL
    python bench/bench_history.py --recipients 100000 --no-postgres
    python bench/bench_history.py --keep /tmp/hist.db    # keep (and reuse) the SQLite file

What it builds (set-based: INSERT ... SELECT over a sequence table, no Python rows),
on the migrated schema with its real indexes:

- 1 roster import for everyone, and a second one (month 6) that gives 1% of the people
  a new card (a second enrolment version);
- N recipients, N + N/100 enrolment versions, N payable accounts
  (``Liabilities:Payable:dibao_rural:R...``) plus treasury, clearing and 10 townships'
  expense accounts;
- per month (12): one regular batch, N entitlements, N payment instructions, one return
  file with N instruction outcomes (settled), and three journal transactions: the
  accrual (10 expense debits + N payable credits naming the instructions), the funding
  (2 postings) and the settlement (N payable debits naming the instructions + 1
  clearing credit). At 10^6 x 12: 12·10^6 entitlements, instructions and outcomes,
  24·10^6 postings.
- 1% of the people get a recovery (Dr Receivable:Recovery / Cr Assistance).

The journal's guard triggers are off while loading (SQLite: dropped; PostgreSQL:
``session_replication_role = replica``) and the secondary indexes are built after the
load: this is a bench database, not a ledger. Then ``ANALYZE``, and for 100 random people
the queries of ``ledger.db.audit_reads.load_history`` are timed (median / p95 / max, ms),
the first plan of each query is printed and checked for full scans.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from ledger.db import kept_totals, migrate
from ledger.db.audit_reads import full_scans, history_queries, load_history, query_plan
from ledger.db.engine import make_engine
from ledger.history import build_history

PG_ADMIN = os.environ.get("LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BIG = (
    "recipients",
    "enrolments",
    "accounts",
    "entitlements",
    "payment_instructions",
    "instruction_outcomes",
    "postings",
    "transactions",
)


def fmt(dialect: str, expression: str, width: int) -> str:
    """Zero-padded decimal text of an integer expression."""
    if dialect == "sqlite":
        return f"printf('%0{width}d', {expression})"
    return f"lpad(({expression})::text, {width}, '0')"


def secondary_indexes(c: sa.Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the non-constraint indexes of the big tables."""
    tables = "', '".join(BIG)
    if c.dialect.name == "sqlite":
        rows = c.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ('{tables}')"
        )
    else:
        rows = c.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            f" AND tablename IN ('{tables}') AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint)"
        )
    return [(str(n), str(s)) for n, s in rows]


def build(url: str, n: int, months: int) -> float:
    engine = make_engine(url)
    migrate.upgrade(engine)
    d = engine.dialect.name
    started = time.perf_counter()
    with engine.begin() as c:
        x = c.exec_driver_sql
        if d == "sqlite":
            for (name,) in list(x("SELECT name FROM sqlite_master WHERE type = 'trigger'")):
                x(f'DROP TRIGGER "{name}"')
        else:
            x("SET session_replication_role = replica")
        indexes = secondary_indexes(c)
        for name, _ in indexes:
            x(f'DROP INDEX "{name}"')
        x("CREATE TABLE bench_seq (i BIGINT PRIMARY KEY)")
        if d == "sqlite":
            x(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)"
                " INSERT INTO bench_seq SELECT i FROM s",
                (n,),
            )
        else:
            x("INSERT INTO bench_seq SELECT generate_series(1, %(n)s)", {"n": n})

        def run(sql: str) -> None:
            sql = sql.replace(":n", str(n))
            x(sql if d == "sqlite" else sql.replace("%", "%%"))

        ts = "'2026-01-01 00:00:00'"
        run(
            "INSERT INTO roster_imports (id, file_name, file_sha256, row_count, operator,"
            f" imported_at) VALUES (1, 'r1.csv', '{'1' * 64}', :n, 'bench', {ts}),"
            f" (2, 'r2.csv', '{'2' * 64}', :n, 'bench', '2026-06-01 00:00:00')"
        )
        key = "'R' || " + fmt(d, "i", 7)
        idn = "'130123' || " + fmt(d, "19400000 + i", 8) + " || " + fmt(d, "i % 10000", 4)
        run(
            "INSERT INTO recipients (id, key, id_number, name, created_at)"
            f" SELECT i, {key}, {idn}, '王' || {fmt(d, 'i % 1000', 3)}, {ts} FROM bench_seq"
        )
        card = "'6217' || " + fmt(d, "i", 15)
        new_card = "'6228' || " + fmt(d, "i", 15)
        town = "'T' || " + fmt(d, "1 + i % 10", 2)
        village = "'V' || " + fmt(d, "1 + i % 10", 2) + " || '01'"
        enrol = (
            "INSERT INTO enrolments (id, recipient_id, program, township, village, household_id,"
            " household_size, amount_fen, bank, account_number, account_holder, start_month,"
            " status, valid_from_import, valid_to_import) SELECT {id}, i, 'dibao_rural',"
            f" {town}, {village}, 'H' || i, 1 + i % 4, 30000 + (i % 400) * 100, 'ICBC',"
            " {card}, '王', '2026-01', 'active', {frm}, {to} FROM bench_seq {where}"
        )
        run(enrol.format(id="i", card=card, frm=1, to="CASE WHEN i % 100 = 0 THEN 2 END", where=""))
        run(enrol.format(id=":n + i", card=new_card, frm=2, to="NULL", where="WHERE i % 100 = 0"))
        # Accounts: ids 1..n payables; then the shared ones.
        run(
            "INSERT INTO accounts (id, name, kind, balance_rule, program, recipient, created_at)"
            f" SELECT i, 'Liabilities:Payable:dibao_rural:' || {key}, 'Liabilities',"
            f" 'credit_only', 'dibao_rural', {key}, {ts} FROM bench_seq"
        )
        shared = [
            ("Assets:Treasury:dibao_rural", "Assets", "debit_only", "NULL", "NULL"),
            ("Assets:BankClearing:ICBC", "Assets", "any", "NULL", "NULL"),
            ("Income:Appropriation:central:dibao_rural", "Income", "any", "NULL", "NULL"),
        ] + [
            (f"Expenses:Assistance:dibao_rural:T{t:02d}", "Expenses", "any", "NULL", f"'T{t:02d}'")
            for t in range(1, 11)
        ]
        for offset, (name, kind, rule, _, township) in enumerate(shared, 1):
            run(
                "INSERT INTO accounts (id, name, kind, balance_rule, program, township,"
                f" created_at) VALUES (:n + {offset}, '{name}', '{kind}', '{rule}',"
                f" 'dibao_rural', {township}, {ts})"
            )
        treasury, clearing, appropriation = f"{n} + 1", f"{n} + 2", f"{n} + 3"
        recovery_base = n + 100
        tx = 1
        posting_id = 0

        def header(tid: int, type_: str, day: str, count: int) -> None:
            run(
                "INSERT INTO transactions (id, type, effective_date, period, description,"
                " operator, recorded_at, posting_count, prev_hash, hash) VALUES"
                f" ({tid}, '{type_}', '{day}', '{day[:7]}', '{type_}', 'bench',"
                f" '{day} 02:00:00', {count}, '{tid - 1:064d}', '{tid:064d}')"
            )

        run(
            "INSERT INTO postings (id, transaction_id, account_id, amount_fen) VALUES"
            f" (1, 1, {treasury}, 999999999999), (2, 1, {appropriation}, -999999999999)"
        )
        header(1, "allocation", "2026-01-01", 2)
        posting_id = 2
        for m in range(1, months + 1):
            period = f"2026-{m:02d}"
            base = (m - 1) * n
            run(
                "INSERT INTO batches (id, period, program, bank, kind, sequence, state,"
                " instruction_count, amount_fen_total, created_by, created_at, approved_by,"
                " approved_at, exported_by, exported_at, file_name, file_sha256, pay_date)"
                f" VALUES ({m}, '{period}', 'dibao_rural', 'ICBC', 'regular', 0, 'reconciled',"
                f" :n, 1, 'maker', '{period}-02 02:00:00', 'checker', '{period}-03 02:00:00',"
                f" 'cashier', '{period}-04 02:00:00', 'b{m}.csv', '{m:064d}', '{period}-10')"
            )
            amount = "30000 + (i % 400) * 100"
            run(
                "INSERT INTO entitlements (id, recipient_id, enrolment_id, program, period,"
                " kind, amount_fen, township, village, batch_id, status)"
                f" SELECT {base} + i, i, CASE WHEN i % 100 = 0 AND {m} >= 6 THEN :n + i"
                f" ELSE i END, 'dibao_rural', '{period}', 'regular', {amount}, {town},"
                f" {village}, {m}, 'open' FROM bench_seq"
            )
            card_now = card if m < 6 else f"CASE WHEN i % 100 = 0 THEN {new_card} ELSE {card} END"
            run(
                "INSERT INTO payment_instructions (id, batch_id, entitlement_id, attempt,"
                " recipient_id, township, village, amount_fen, bank, account_number,"
                " account_holder, id_number, end_to_end_id, line_number, status, settled_at)"
                f" SELECT {base} + i, {m}, {base} + i, 1, i, {town}, {village}, {amount},"
                f" 'ICBC', {card_now}, '王', {idn}, '130123' || '{period[:4]}{period[5:]}'"
                f" || {fmt(d, f'{base} + i', 12)} || '01', i, 'settled',"
                f" '{period}-12 02:00:00' FROM bench_seq"
            )
            run(
                "INSERT INTO return_files (id, file_name, file_sha256, format, line_count,"
                " settled_count, failed_count, pending_count, exception_count, imported_by,"
                f" imported_at) VALUES ({m}, 'ret{m}.xml', '{m + 100:064d}', 'pain.002', :n,"
                f" :n, 0, 0, 0, 'clerk', '{period}-12 02:00:00')"
            )
            # accrual
            tx += 1
            run(
                "INSERT INTO postings (id, transaction_id, account_id, amount_fen, instruction_id)"
                f" SELECT {posting_id} + i, {tx}, i, -({amount}), {base} + i FROM bench_seq"
            )
            run(
                "INSERT INTO postings (id, transaction_id, account_id, amount_fen)"
                f" SELECT {posting_id} + :n + t, {tx}, {n} + 3 + t, s FROM"
                f" (SELECT 1 + i % 10 AS t, SUM({amount}) AS s FROM bench_seq"
                " GROUP BY 1 + i % 10) g"
            )
            posting_id += n + 10
            header(tx, "accrual", f"{period}-03", n + 10)
            total = f"(SELECT SUM({amount}) FROM bench_seq)"
            tx += 1
            run(
                "INSERT INTO postings (id, transaction_id, account_id, amount_fen) VALUES"
                f" ({posting_id + 1}, {tx}, {clearing}, {total}),"
                f" ({posting_id + 2}, {tx}, {treasury}, -{total})"
            )
            posting_id += 2
            header(tx, "funding", f"{period}-04", 2)
            tx += 1
            run(
                "INSERT INTO postings (id, transaction_id, account_id, amount_fen, instruction_id)"
                f" SELECT {posting_id} + i, {tx}, i, {amount}, {base} + i FROM bench_seq"
            )
            run(
                "INSERT INTO postings (id, transaction_id, account_id, amount_fen) VALUES"
                f" ({posting_id + n + 1}, {tx}, {clearing}, -{total})"
            )
            posting_id += n + 1
            header(tx, "settlement", f"{period}-12", n + 1)
            run(
                "INSERT INTO instruction_outcomes (id, instruction_id, return_file_id, line,"
                " outcome, amount_fen, transaction_id, recorded_at)"
                f" SELECT {base} + i, {base} + i, {m}, i, 'settled', {amount}, {tx},"
                f" '{period}-12 02:00:00' FROM bench_seq"
            )
            print(f"  month {m} loaded at {time.perf_counter() - started:.0f}s", file=sys.stderr)
        # Recoveries for 1%: receivable accounts and one transaction.
        run(
            "INSERT INTO accounts (id, name, kind, balance_rule, recipient, created_at)"
            f" SELECT {recovery_base} + i, 'Assets:Receivable:Recovery:' || {key}, 'Assets',"
            f" 'debit_only', {key}, {ts} FROM bench_seq WHERE i % 100 = 0"
        )
        tx += 1
        run(
            "INSERT INTO postings (id, transaction_id, account_id, amount_fen)"
            f" SELECT {posting_id} + i, {tx}, {recovery_base} + i, 10000 FROM bench_seq"
            " WHERE i % 100 = 0"
        )
        run(
            "INSERT INTO postings (id, transaction_id, account_id, amount_fen) VALUES"
            f" ({posting_id + n + 1}, {tx}, {n} + 4, -(:n / 100) * 10000)"
        )
        header(tx, "recovery", "2026-12-20", n // 100 + 1)
        print(f"  rows loaded at {time.perf_counter() - started:.0f}s", file=sys.stderr)
        for _, create in indexes:
            x(create)
        print(f"  indexes built at {time.perf_counter() - started:.0f}s", file=sys.stderr)
        # The rows were written with raw SQL: the kept totals are computed from them.
        kept_totals.rebuild(c)
        print(f"  kept totals at {time.perf_counter() - started:.0f}s", file=sys.stderr)
    with engine.connect() as c:
        if d == "sqlite":
            c.exec_driver_sql("PRAGMA analysis_limit = 1000")
            c.exec_driver_sql("ANALYZE")
        else:
            c.commit()
    if d == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def measure(url: str, n: int, samples: int) -> None:
    engine = make_engine(url, read_only=True)
    rng = random.Random(7)
    people = [rng.randint(1, n) for _ in range(samples)]
    people[0] = 100  # one with an account change and a recovery
    with engine.connect() as c:
        d = c.dialect.name
        for name, query in history_queries(people[0], f"R{people[0]:07d}", "130123194000").items():
            plan = query_plan(c, query)
            scans = full_scans(c, plan)
            print(f"  plan {name}: {' | '.join(plan[:4])[:160]}{'  FULL SCAN!' if scans else ''}")
        query_ms, build_ms = [], []
        for i in people:
            id_number = f"130123{19400000 + i:08d}{i % 10000:04d}"
            t0 = time.perf_counter()
            raw = load_history(c, id_number)
            t1 = time.perf_counter()
            build_history(raw, as_of=None, unmask=False)
            t2 = time.perf_counter()
            query_ms.append((t1 - t0) * 1000)
            build_ms.append((t2 - t1) * 1000)
            c.rollback()
        ordered = sorted(query_ms)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"  {d}: history queries for {samples} people: median {statistics.median(query_ms):.1f}"
            f" ms, p95 {p95:.1f} ms, max {max(query_ms):.1f} ms (first, cold: {query_ms[0]:.1f});"
            f" shaping the document: median {statistics.median(build_ms):.1f} ms;"
            f" rows per person: {len(raw.postings)} postings, {len(raw.instructions)} instructions"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="SQLite file to keep/reuse")
    args = parser.parse_args()
    n, months = args.recipients, args.months
    print(f"audit history bench: {n} recipients x {months} months (load {os.getloadavg()})")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            path = args.keep or Path(folder) / "history.db"
            url = f"sqlite:///{path}"
            if not path.exists():
                print(f"sqlite: built in {build(url, n, months):.0f}s ({path})")
            measure(url, n, args.samples)
    if not args.no_postgres:
        try:
            admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            name = f"ledger_bench_history_{os.getpid()}"
            with admin.connect() as c:
                c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except Exception as error:  # no server: say so and stop
            print(f"postgresql: not reachable ({type(error).__name__}); skipped")
            return
        url = sa.engine.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            print(f"postgresql: built in {build(url, n, months):.0f}s")
            measure(url, n, args.samples)
        finally:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
