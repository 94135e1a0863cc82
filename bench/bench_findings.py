"""Detection over a county-sized ledger: 10^6 recipients, 12 months of payments.

Builds (set-based, in a fresh database):
- recipients and one enrolment each (copy_rows: COPY on PostgreSQL), 90% dibao_rural
  (per household, households of 1-3 people), 10% tekun (per person), townships T01/T02;
- per month and program one exported regular batch; entitlements and payment
  instructions for every enrolment and month with one ``INSERT ... SELECT`` each (12 x
  10^6 rows each); nearly all instructions settled, a few pending or failed;
  (PostgreSQL: foreign key triggers off for those two inserts only, bench data);
- the journal entries the rules read: one allocation and one batch funding per month and
  program through ``journal_store.post`` (accrual and settlement postings per recipient
  are not synthesised: no rule reads them);
- reference lists: 1 000 deaths, 500 staff with salary accounts, 500 cadre relatives;
- anomalies sprinkled by id: shared accounts, proxy holders, exits recorded late.

Then runs every rule for the last month (one pass with tracemalloc for the per-rule peak
Python memory, one plain pass for the time) and prints seconds and MiB per rule, the
total and the process's peak RSS. Usage:

    python bench/bench_findings.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python bench/bench_findings.py --db /tmp/bench.db --recipients 100000
"""

import argparse
import resource
import time
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa

from ledger import accounts
from ledger.county import example_path, load_county
from ledger.db import migrate, refdata_store
from ledger.db.accounts_store import open_accounts
from ledger.db.bulk import copy_rows
from ledger.db.engine import database_url, make_engine
from ledger.db.journal_store import post
from ledger.db.uow import UnitOfWork
from ledger.findings import service
from ledger.identity import id_check_char
from ledger.journal import NewTransaction, PostingColumns

PERIODS = [f"2026-{m:02d}" for m in range(1, 13)]
PROGRAMS = ("dibao_rural", "tekun")


def ids(n: int) -> list[str]:
    out = []
    for i in range(n):
        day, seq = i % 20_160, i // 20_160  # unique: 60 years x 12 x 28 days, then a serial
        body = f"130123{1940 + day // 336:04d}{1 + day // 28 % 12:02d}{1 + day % 28:02d}{seq:03d}"
        out.append(body + id_check_char(body))
    return out


def run_sql(connection: sa.Connection, sql: str) -> None:
    """Plain SQL without parameters; ``%`` doubled for psycopg."""
    if connection.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("%", "%%")
    connection.exec_driver_sql(sql)


def build(engine: sa.Engine, n: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    stamp = now if engine.dialect.name == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S")
    numbers = ids(n)
    with engine.begin() as c:
        copy_rows(
            c,
            "roster_imports",
            ["id", "file_name", "file_sha256", "row_count", "operator", "imported_at"],
            [(1, "bench.csv", "0" * 64, n, "bench", stamp)],
        )
        copy_rows(
            c,
            "recipients",
            ["id", "key", "id_number", "name", "created_at"],
            ((i + 1, f"R{i + 1:07d}", numbers[i], f"人{i + 1}", stamp) for i in range(n)),
        )
        del numbers
        rows = []
        for i in range(1, n + 1):
            tekun = i % 10 == 0
            township = "T01" if i % 2 else "T02"
            account = f"62170{i:014d}" if i % 20_011 else f"62170{i - 2:014d}"  # shared
            holder = f"人{i}" if i % 30_011 else "代领人"
            rows.append(
                (
                    i,
                    "tekun" if tekun else "dibao_rural",
                    township,
                    "V0101" if township == "T01" else "V0201",
                    f"H{i}" if tekun else f"H{(i - 1) // 3}",
                    1,
                    900_00 if tekun else 200_00,
                    "ICBC",
                    account,
                    holder,
                    "2026-01",
                    "active",
                    1,
                )
            )
        copy_rows(
            c,
            "enrolments",
            [
                "recipient_id",
                "program",
                "township",
                "village",
                "household_id",
                "household_size",
                "amount_fen",
                "bank",
                "account_number",
                "account_holder",
                "start_month",
                "status",
                "valid_from_import",
            ],
            rows,
        )
        del rows
        # Every month pays every enrolment of a program: a batch's count and total are
        # its program's (the batch is written approved with them: its totals, like its
        # export below, are recorded once, as the database requires).
        program_totals = {
            str(p): (int(count), int(total))
            for p, count, total in c.exec_driver_sql(
                "SELECT program, COUNT(*), SUM(amount_fen) FROM enrolments GROUP BY program"
            )
        }
        batch_id = 0
        for index, period in enumerate(PERIODS):
            for program in PROGRAMS:
                batch_id += 1
                approved = datetime(2026, index + 1, 3, tzinfo=UTC)
                count, total = program_totals.get(program, (0, 0))
                c.execute(
                    sa.text(
                        "INSERT INTO batches (id, period, program, bank, kind, sequence, state,"
                        " instruction_count, amount_fen_total, created_by, created_at,"
                        " approved_by, approved_at, pay_date)"
                        " VALUES (:id, :p, :g, 'ICBC', 'regular', 0, 'approved', :n, :total,"
                        " 'maker', :t, 'checker', :t, :d)"
                    ).bindparams(
                        sa.bindparam("t", type_=sa.DateTime(timezone=True)),
                        sa.bindparam("d", type_=sa.Date),
                    ),
                    {
                        "id": batch_id,
                        "p": period,
                        "g": program,
                        "n": count,
                        "total": total,
                        "t": approved,
                        "d": date(2026, index + 1, 10),
                    },
                )
        if engine.dialect.name == "postgresql":
            # Bench data only: skip the per-row foreign key triggers of the two 12 x 10^6
            # row inserts below (the ids are consistent by construction).
            c.exec_driver_sql("SET LOCAL session_replication_role = replica")
        c.exec_driver_sql("CREATE TEMPORARY TABLE bench_periods (idx INTEGER, period VARCHAR(7))")
        copy_rows(c, "bench_periods", ["idx", "period"], list(enumerate(PERIODS)))
        c.exec_driver_sql(
            "INSERT INTO entitlements (id, recipient_id, enrolment_id, program, period, kind,"
            " amount_fen, township, village, batch_id, status)"
            f" SELECT p.idx * {n} + e.id, e.recipient_id, e.id, e.program, p.period, 'regular',"
            " e.amount_fen, e.township, e.village, b.id, 'open'"
            " FROM bench_periods p JOIN enrolments e ON 1 = 1"
            " JOIN batches b ON b.period = p.period AND b.program = e.program"
        )
        run_sql(
            c,
            "INSERT INTO payment_instructions (id, batch_id, entitlement_id, attempt,"
            " recipient_id, township, village, amount_fen, bank, account_number,"
            " account_holder, id_number, end_to_end_id, line_number, status, settled_at,"
            " failed_at, reason_code)"
            " SELECT t.id, t.batch_id, t.id, 1, t.recipient_id, t.township, t.village,"
            " t.amount_fen, e.bank, e.account_number, e.account_holder, r.id_number,"
            " 'B' || CAST(t.id AS VARCHAR(20)), t.id,"
            " CASE WHEN t.id % 9973 = 0 THEN 'pending' WHEN t.id % 7919 = 0 THEN 'failed'"
            "  ELSE 'settled' END,"
            " NULL, CASE WHEN t.id % 7919 = 0 THEN "
            + ("'2026-06-05 00:00:00'" if engine.dialect.name == "sqlite" else "'2026-06-05'")
            + " END, CASE WHEN t.id % 7919 = 0 THEN 'AC04' END"
            " FROM entitlements t JOIN enrolments e ON e.id = t.enrolment_id"
            " JOIN recipients r ON r.id = t.recipient_id",
        )
        if engine.dialect.name == "postgresql":
            c.exec_driver_sql("SET LOCAL session_replication_role = origin")
        # Exits recorded after payment: a new version for every 50 000th recipient.
        c.exec_driver_sql(
            "INSERT INTO roster_imports (id, file_name, file_sha256, row_count, operator,"
            " imported_at) VALUES (2, 'exits.csv', '"
            + "1" * 64
            + "', 1, 'bench', "
            + ("'2026-12-20 00:00:00'" if engine.dialect.name == "sqlite" else "'2026-12-20'")
            + ")"
        )
        run_sql(c, "UPDATE enrolments SET valid_to_import = 2 WHERE recipient_id % 50000 = 0")
        c.exec_driver_sql(
            "INSERT INTO enrolments (recipient_id, program, township, village, household_id,"
            " household_size, amount_fen, bank, account_number, account_holder, start_month,"
            " end_month, exit_date, status, valid_from_import) SELECT recipient_id, program,"
            " township, village, household_id, household_size, amount_fen, bank,"
            " account_number, account_holder, start_month, '2026-10', NULL, 'exited', 2"
            " FROM enrolments WHERE valid_to_import = 2"
        )
    with UnitOfWork(engine) as uow:
        c = uow.connection
        names = [accounts.treasury(p) for p in PROGRAMS] + ["Assets:BankClearing:ICBC"]
        names += [accounts.appropriation("central", p) for p in PROGRAMS]
        open_accounts(c, names)
        totals = dict(
            (
                (int(b), int(a))
                for b, a in c.exec_driver_sql("SELECT id, amount_fen_total FROM batches")
            )
        )
        batch_id = 0
        for index, _period in enumerate(PERIODS):
            for program in PROGRAMS:
                batch_id += 1
                total = totals[batch_id]
                day = date(2026, index + 1, 2)
                post(c, NewTransaction("allocation", day, "bench allocation", "bench",
                     PostingColumns([accounts.treasury(program),
                                     accounts.appropriation("central", program)],
                                    [total + 1000_00, -(total + 1000_00)])))  # fmt: skip
                funding = post(c, NewTransaction("funding", day.replace(day=4),
                               f"bench funding {batch_id}", "bench",
                               PostingColumns(["Assets:BankClearing:ICBC",
                                               accounts.treasury(program)],
                                              [total, -total])))  # fmt: skip
                c.execute(  # exported, as `batch export` records it
                    sa.text(
                        "UPDATE batches SET state = 'exported', exported_by = 'cashier',"
                        " exported_at = :at, funding_transaction_id = :t WHERE id = :b"
                    ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
                    {
                        "t": funding.id,
                        "b": batch_id,
                        "at": datetime(2026, index + 1, 4, tzinfo=UTC),
                    },
                )
        uow.commit()
    step = max(n // 1000, 1)
    with UnitOfWork(engine) as uow:
        c = uow.connection
        sample = [
            (int(i), str(x))
            for i, x in c.execute(
                sa.text(
                    "SELECT id, id_number FROM recipients WHERE MOD(id, :s) = 0"
                    if engine.dialect.name == "postgresql"
                    else "SELECT id, id_number FROM recipients WHERE id % :s = 0"
                ),
                {"s": step},
            )
        ]
        deaths = pd.DataFrame(
            {
                "row_no": range(2, 2 + len(sample)),
                "id_number": [x for _, x in sample],
                "name": ["x"] * len(sample),
                "death_date": [date(2026, 3, 1)] * len(sample),
                "source": ["公安"] * len(sample),
            }
        )
        refdata_store.store(c, "deaths", deaths, file_name="d.csv", file_sha256="d" * 64,
                            operator="bench")  # fmt: skip
        half = sample[: len(sample) // 2]
        staff = pd.DataFrame(
            {
                "row_no": range(2, 2 + len(half)),
                "id_number": [x for _, x in half],
                "name": ["x"] * len(half),
                "employer": ["乡政府"] * len(half),
                "account_numbers": [[f"62170{i + 1:014d}"] for i, _ in half],
            }
        )
        refdata_store.store(c, "staff", staff, file_name="s.csv", file_sha256="s" * 64,
                            operator="bench")  # fmt: skip
        cadres = pd.DataFrame(
            {
                "row_no": range(2, 2 + len(half)),
                "cadre_id_number": ["130123196501010011"] * len(half),
                "cadre_name": ["干部"] * len(half),
                "employer": ["民政局"] * len(half),
                "position": ["科长"] * len(half),
                "relative_id_number": [x for _, x in sample[len(half) : 2 * len(half)]],
                "relative_name": ["亲属"] * len(half),
                "relation": ["兄弟"] * len(half),
                "filed": [i % 2 == 0 for i in range(len(half))],
            }
        )
        refdata_store.store(c, "cadres", cadres, file_name="c.csv", file_sha256="c" * 64,
                            operator="bench")  # fmt: skip
        uow.commit()
    with engine.connect() as c:
        c.exec_driver_sql("ANALYZE")
        c.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="Database URL or SQLite file (fresh).")
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--skip-build", action="store_true", help="Reuse a built database.")
    args = parser.parse_args()
    engine = make_engine(database_url(args.db))
    county = load_county(example_path())
    if not args.skip_build:
        started = time.perf_counter()
        migrate.upgrade(engine)
        build(engine, args.recipients)
        print(f"built {args.recipients:,} recipients x 12 months in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    with UnitOfWork(engine) as uow:
        _, runs = service.detect(uow, county, operator="bench", period=PERIODS[-1],
                                 as_of=date(2027, 1, 15), measure_memory=True)  # fmt: skip
    started = time.perf_counter()
    with UnitOfWork(engine) as uow:
        _, plain = service.detect(uow, county, operator="bench", period=PERIODS[-1],
                                  as_of=date(2027, 1, 15))  # fmt: skip
    total = time.perf_counter() - started
    print(f"{'rule':5} {'seconds':>8} {'peak MiB':>9} {'findings':>9} {'at risk (yuan)':>16}")
    for traced, run in zip(runs, plain, strict=True):
        print(f"{run.rule:5} {run.seconds:8.2f} {traced.peak_bytes / 2**20:9.1f} "
              f"{run.found:9,} {run.amount_fen / 100:16,.2f}")  # fmt: skip
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {total:.1f} s (second run: every finding already stored); "
          f"first run {sum(r.seconds for r in runs):.1f} s with tracemalloc; "
          f"peak RSS {peak_rss:.0f} MiB; dialect {engine.dialect.name}")  # fmt: skip


if __name__ == "__main__":
    main()
