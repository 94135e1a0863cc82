"""Bench the monthly batch: run, approval sheet, approve, export (CSV), funds by source,
pain.001.

    python bench/bench_batch.py                 # 10^5 and 10^6 on SQLite (+ PostgreSQL)
    python bench/bench_batch.py --sizes 100000 --no-postgres
    python bench/bench_batch.py --sizes 100000 --back-pay 2   # 2% approved late (补发)
    python bench/bench_batch.py --sizes 100000 --supplements 10 --deductions 1
        # 10% in a 分类施保 category (half 10 %, half a fixed 50.00), 1% with a 扣减 plan

Prints seconds and peak resident memory (MB) per step. Each step runs in a fresh
interpreter, so its peak is its own (it includes the ~100 MB of the interpreter and
libraries). The roster is generated with ``ledger.db.bulk`` (the roster import is
issue 3's work). "pain001" writes the exported batch's pain.001.001.09 file and
validates it against the XSD (the ledger entries are the same as for the CSV export).
"""

import argparse
import multiprocessing
import os
import queue
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from ledger import allocations, holds, payments, sheets
from ledger.county import example_path, load_county
from ledger.db import batch_rows_store, fund_lineage, funds_positions, migrate, operators_store
from ledger.db import batches_store as store
from ledger.db.accounts_store import open_accounts
from ledger.db.bulk import copy_rows
from ledger.db.engine import make_engine
from ledger.db.journal_store import post
from ledger.db.uow import UnitOfWork
from ledger.files import pain001
from ledger.files.bankfile import FileContext, write_bank_file
from ledger.files.profiles import BUILT_IN
from ledger.funds import Allocation
from ledger.journal import NewTransaction, PostingColumns
from ledger.money import format_yuan
from ledger.operators import Role

COUNTY = load_county(example_path())
PROGRAM = "dibao_rural"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰䶮𠮷"
PG_ADMIN = os.environ.get("LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def generate(
    url: str,
    n: int,
    back_pay_percent: int = 0,
    supplement_percent: int = 0,
    deduction_percent: int = 0,
) -> None:
    """n recipients with one active enrolment each, and enough money in the treasury.

    ``back_pay_percent``: that share of them approved late (their roster import dated
    after September and October were run, their start month September): each is owed
    two months of 补发 in November's run. ``supplement_percent``: that share in a
    分类施保 category of the example county (alternately 重度残疾, 10 %, and 高龄,
    50.00). ``deduction_percent``: that share owing 500.00 on the recovery receivable,
    with a deduction plan for all of it."""
    rng = random.Random(n)
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"
    now: object = datetime(2026, 8, 1, tzinfo=UTC)
    late_at: object = datetime(2026, 10, 15, tzinfo=UTC)
    if not postgres:
        now, late_at = "2026-08-01 00:00:00.000000", "2026-10-15 00:00:00.000000"
    late_every = 100 // back_pay_percent if back_pay_percent else 0
    supplement_every = 100 // supplement_percent if supplement_percent else 0
    deduction_every = 100 // deduction_percent if deduction_percent else 0
    categories: list[tuple[int, int, int, str, str]] = []
    owing: list[int] = []
    total = 0
    with UnitOfWork(engine) as uow:
        c = uow.connection
        copy_rows(
            c,
            "roster_imports",
            ("id", "file_name", "file_sha256", "row_count", "operator", "imported_at"),
            [(1, "bench.csv", "0" * 64, n, "bench", now)]
            + (
                [(2, "late.csv", "1" * 64, n // late_every, "bench", late_at)] if late_every else []
            ),
        )
        for month, day in (("2026-09", "2026-09-02"), ("2026-10", "2026-10-02")):
            if late_every:  # the months already run (their batches; rows not needed)
                c.execute(
                    sa.text(
                        "INSERT INTO batches (period, program, bank, kind, sequence, state,"
                        " instruction_count, amount_fen_total, created_by, created_at)"
                        " VALUES (:m, :p, 'RCC', 'regular', 0, 'exported', 1, 1, 'bench', :d)"
                    ).bindparams(sa.bindparam("d", type_=sa.DateTime(timezone=True))),
                    {"m": month, "p": PROGRAM, "d": datetime.fromisoformat(day + "T00:00+00:00")},
                )
        step = 100_000
        for start in range(1, n + 1, step):
            ids = range(start, min(n, start + step - 1) + 1)
            people = []
            enrolments = []
            for i in ids:
                name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
                amount = rng.randrange(300, 700) * 100
                late = bool(late_every) and i % late_every == 0
                total += amount * (3 if late else 1)
                township = f"T{1 + i % 10:02d}"
                if supplement_every and i % supplement_every == 3 % supplement_every:
                    aged = (i // supplement_every) % 2 == 1
                    categories.append(
                        (
                            len(categories) + 1,
                            1,
                            i,
                            PROGRAM,
                            "aged_80" if aged else "severe_disability",
                        )
                    )
                    total += 50_00 if aged else (amount * 1000 + 5000) // 10000
                if deduction_every and i % deduction_every == 5 % deduction_every:
                    owing.append(i)
                people.append(
                    (i, f"R{i:07d}", f"130123{19400000 + i:08d}{i % 10000:04d}", name, now)
                )
                enrolments.append(
                    (
                        i,
                        i,
                        PROGRAM,
                        township,
                        f"{township}V{i % 7}",
                        f"H{i}",
                        1,
                        amount,
                        "ICBC",
                        f"62170{i:014d}",
                        name,
                        "2026-09" if late else "2026-01",
                        None,
                        None,
                        "active",
                        2 if late else 1,
                        None,
                    )
                )
            copy_rows(c, "recipients", ("id", "key", "id_number", "name", "created_at"), people)
            copy_rows(
                c,
                "enrolments",
                (
                    "id",
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
                    "end_month",
                    "exit_date",
                    "status",
                    "valid_from_import",
                    "valid_to_import",
                ),
                enrolments,
            )
        if categories:
            copy_rows(
                c,
                "category_imports",
                ("id", "file_name", "file_sha256", "row_count", "operator", "imported_at"),
                [(1, "categories.csv", "3" * 64, len(categories), "bench", now)],
            )
            copy_rows(
                c,
                "recipient_categories",
                ("id", "import_id", "recipient_id", "program", "category"),
                categories,
            )
        if owing:
            # The overpayments found (findings recover's entry), then a plan each.
            receivables = [f"Assets:Receivable:Recovery:R{i:07d}" for i in owing]
            expense = f"Expenses:Assistance:{PROGRAM}:T01"
            open_accounts(c, [*receivables, expense])
            post(
                c,
                NewTransaction(
                    type="recovery",
                    effective_date=date(2026, 10, 25),
                    description="bench: overpayments to recover",
                    operator="bench",
                    postings=PostingColumns(
                        accounts=[*receivables, expense],
                        amounts_fen=[500_00] * len(owing) + [-500_00 * len(owing)],
                    ),
                ),
            )
            copy_rows(
                c,
                "deduction_plans",
                ("id", "recipient_id", "program", "amount_fen", "reason", "created_by",
                 "created_at"),
                [(k + 1, i, PROGRAM, 500_00, "bench", "bench", now) for k, i in enumerate(owing)],
            )  # fmt: skip
        # Reference lists for the screening at batch run: a death list of n/100 people
        # (half on the roster, dead before the period) and a staff list of n/200.
        copy_rows(
            c,
            "refdata_imports",
            ("id", "kind", "file_name", "file_sha256", "row_count", "operator", "imported_at"),
            [
                (1, "deaths", "deaths.csv", "1" * 64, n // 100, "bench", now),
                (2, "staff", "staff.csv", "2" * 64, n // 200, "bench", now),
            ],
        )
        deaths = []
        for k in range(n // 100):
            i = 1 + k * 200 if k % 2 == 0 else n + k  # on the roster, or not
            deaths.append(
                (k + 1, 1, k + 2, f"130123{19400000 + i:08d}{i % 10000:04d}", "某",
                 date(2026, 9, 1), "殡葬")
            )  # fmt: skip
        copy_rows(
            c,
            "ref_deaths",
            ("id", "import_id", "row_no", "id_number", "name", "death_date", "source"),
            deaths,
        )
        staff = [
            (k + 1, 2, k + 2, f"130123{19400000 + i:08d}{i % 10000:04d}", "某", "某局")
            for k, i in enumerate(range(7, n + 1, 200))
        ]
        copy_rows(
            c, "ref_staff", ("id", "import_id", "row_no", "id_number", "name", "employer"), staff
        )
        if postgres:
            for table in (
                "recipients",
                "enrolments",
                "roster_imports",
                "refdata_imports",
                "ref_deaths",
                "ref_staff",
                "category_imports",
                "recipient_categories",
                "deduction_plans",
            ):
                c.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT MAX(id) FROM {table}))"
                )
            c.exec_driver_sql("ANALYZE")
        # Who acts: the example county's bands (above 5,000,000.00: two checkers, one of
        # another department than the maker's) need two checkers for these batches.
        for name, department, role in (
            ("maker", "财政", Role.FINANCE_MAKER),
            ("checker", "财政", Role.FINANCE_CHECKER),
            ("checker2", "民政", Role.FINANCE_CHECKER),
            ("cashier", "财政", Role.FINANCE_MAKER),
        ):
            operators_store.insert(
                c, name=name, key=name, full_name=name, department=department, roles=[role],
                by="bench",
            )  # fmt: skip
        # The money comes in as four allocations (one per source), so that the funding
        # at export draws on several of them (fund lineage, docs/ledger.md).
        shares = {"central": 50, "provincial": 25, "municipal": 10}
        parts = {s: total * p // 100 for s, p in shares.items()}
        parts["county"] = total - sum(parts.values())
        for day, (source, amount) in enumerate(parts.items(), start=1):
            allocations.record(
                c,
                Allocation(source, PROGRAM, amount, f"bench-{source}", date(2026, 10, day)),
                operator="bench",
                county=COUNTY,
            )
        uow.commit()
    engine.dispose()


def step_run(url: str, out: str) -> str:
    """The batch run; the screening inside it (``holds.screen_batches``) is timed apart
    (issue 17: at most 20% of the run)."""
    engine = make_engine(url)
    screen = holds.screen_batches
    spent: list[float] = []

    def timed(*args: object, **kwargs: object) -> int:
        started = time.perf_counter()
        held = screen(*args, **kwargs)  # type: ignore[arg-type]
        spent.append(time.perf_counter() - started)
        return held

    holds.screen_batches = timed  # type: ignore[assignment]
    try:
        with UnitOfWork(engine) as uow:
            result = payments.run_batches(uow, COUNTY, "2026-11", operator="maker")
    finally:
        holds.screen_batches = screen  # type: ignore[assignment]
    created = result.created[0]
    with engine.connect() as connection:
        supplements, deducted = connection.execute(
            sa.text(
                "SELECT (SELECT COUNT(*) FROM entitlements WHERE kind = 'supplement'),"
                " (SELECT COUNT(*) FROM deductions)"
            )
        ).one()
    return (
        f"batch {created.id}: {created.count} payments, {format_yuan(created.amount_fen_total)};"
        f" screening {sum(spent):.2f} s, {created.held_count} held;"
        f" {supplements} supplements, {deducted} deductions"
    )


def run_batch(connection: sa.Connection) -> int:
    """The November batch (the generated earlier months' batches come first)."""
    return int(
        connection.exec_driver_sql("SELECT id FROM batches WHERE period = '2026-11'").scalar_one()
    )


def step_sheet(url: str, out: str) -> str:
    engine = make_engine(url)
    with engine.connect() as connection:
        path = sheets.write_sheet(connection, COUNTY, run_batch(connection), out, stage="draft")
    return f"{path.stat().st_size} bytes"


def step_approve(url: str, out: str) -> str:
    """Every approval the batch's rule needs (the last one posts the accrual)."""
    engine = make_engine(url)
    accrual = None
    with engine.connect() as connection:
        batch_id = run_batch(connection)
    for checker in ("checker", "checker2"):
        with UnitOfWork(engine) as uow:
            result = payments.record_approval(uow, batch_id, operator=checker)
        accrual = result.accrual_transaction_id
        if result.approved:
            break
    return f"{result.approvals} approval(s); accrual transaction {accrual}"


def step_export(url: str, out: str) -> str:
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        result = payments.export(uow, COUNTY, run_batch(uow.connection), out, operator="cashier")
    return f"{result.path.stat().st_size} bytes"


def step_by_source(url: str, out: str) -> str:
    """Funds per program × source (the fund lineage's running-sum query over the batch
    still at the bank) and one payment's sources."""
    engine = make_engine(url)
    with engine.connect() as connection:
        found = funds_positions.positions(
            connection,
            as_of=date.today(),
            required_pace_bp=10000,
            source_order=list(COUNTY.sources),
        )
        sources = fund_lineage.payment_sources(connection, 1)
        draws = connection.execute(sa.text("SELECT COUNT(*) FROM fund_lineage")).scalar_one()
    total = next(p for p in found.rows if p.source == "total")
    return (
        f"{draws} lineage rows; in bank {format_yuan(total.amounts['in_bank'], thousands=True)}"
        f"; instruction 1 from {[s['source'] for s in sources]}"
    )


def step_pain001(url: str, out: str) -> str:
    engine = make_engine(url)
    with engine.connect() as connection:
        batch_id = run_batch(connection)
        batch = store.load_batch(connection, batch_id)
        count, total = store.payable_totals(connection, batch_id)  # held: not in files
        program = COUNTY.programs[PROGRAM]
        context = FileContext(
            batch_id=batch_id,
            county_code=COUNTY.code,
            period=batch.period,
            program=PROGRAM,
            remittance="2026年11月农村最低生活保障金",
            count=count,
            amount_fen_total=total,
            debtor_account=program.special_account,
            debtor_name=program.special_account_name,
            debtor_bank_cnaps=COUNTY.banks["ICBC"].cnaps,
            bank_cnaps={code: bank.cnaps for code, bank in COUNTY.banks.items()},
            exported_at=datetime(2026, 11, 5, tzinfo=UTC),
            pay_date=date(2026, 11, 10),
        )
        path = Path(out) / "batch.xml"
        with path.open("wb") as handle:
            write_bank_file(
                BUILT_IN["pain001"],
                context,
                batch_rows_store.iter_file_rows(connection, batch_id),
                handle,
            )
    pain001.validate(path)
    return f"{path.stat().st_size} bytes, valid"


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM, which starts at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(
    step: Callable[[str, str], str], url: str, out: str, results: multiprocessing.Queue
) -> None:
    started = time.perf_counter()
    note = step(url, out)
    elapsed = time.perf_counter() - started
    results.put((elapsed, peak_mb(), note))


def measure(step: Callable[[str, str], str], url: str, out: str) -> tuple[float, float, str]:
    """Run one step in a fresh interpreter, as the command line would: a forked child
    shares the parent's heap, and its garbage collector copying those pages cost the
    10^6 return import ~5 s, while ru_maxrss counted the parent's memory as its own."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(step, url, out, results))
    process.start()
    while True:  # a child that dies before answering must not leave us waiting
        try:
            result = results.get(timeout=1)
            break
        except queue.Empty:
            if not process.is_alive():
                process.join()
                raise SystemExit(
                    f"{step.__name__} failed (exit status {process.exitcode}): its error "
                    "is printed above"
                ) from None
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"{step.__name__} failed")
    return result


STEPS = [
    ("run", step_run),
    ("sheet", step_sheet),
    ("approve", step_approve),
    ("export_csv", step_export),
    ("by_source", step_by_source),
    ("pain001", step_pain001),
]


def bench(
    label: str, url: str, n: int, out: str, back_pay: int = 0, supplements: int = 0,
    deductions: int = 0,
) -> None:  # fmt: skip
    started = time.perf_counter()
    generate(url, n, back_pay, supplements, deductions)
    print(
        f"{label:<10} n={n:>9,}  {'generate':<11} {time.perf_counter() - started:7.1f} s",
        flush=True,
    )
    for name, step in STEPS:
        seconds, peak_mb, note = measure(step, url, out)
        print(
            f"{label:<10} n={n:>9,}  {name:<11} {seconds:7.1f} s  peak {peak_mb:7.0f} MB  {note}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--back-pay", type=int, default=0, help="percent of recipients approved late (补发)"
    )
    parser.add_argument(
        "--supplements", type=int, default=0, help="percent of recipients in a category (分类施保)"
    )
    parser.add_argument(
        "--deductions", type=int, default=0, help="percent of recipients with a plan (扣减)"
    )
    args = parser.parse_args()
    kinds = (args.back_pay, args.supplements, args.deductions)
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
            url = f"sqlite:///{tmp}/ledger.db"
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            bench("sqlite", url, n, tmp, *kinds)
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
        name = f"ledger_bench_{os.getpid()}_{n}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        try:
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
                bench("postgresql", url, n, tmp, *kinds)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


if __name__ == "__main__":
    main()
