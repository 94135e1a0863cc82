"""``ledger demo``: a synthetic county run month by month through the services.

Every step calls the same Python services the commands call (roster import, reference
lists, allocations, batch run/approve/export, re-issue), with simulated dates inside the
month: roster and allocations on the 1st, batch run on the 5th (maker), approval on the
6th (checker), export on the 8th, the bank's answer on the 11th, follow-up of failures
(cancel, re-issue) from the 14th, period close at the end of the month.

Then the bank's returns are reconciled (the 12th), failures cancelled or re-issued, and
on the 25th the checker runs the findings rules and writes the exception report.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from ledger import (
    allocations,
    operator_register,
    payments,
    reconciliation,
    refdata_import,
    registry_import,
    sheets,
)
from ledger.county import County
from ledger.db.bulk import fetch_all
from ledger.db.engine import database_url, make_engine
from ledger.db.event_verify import verify_events
from ledger.db.events import record_event
from ledger.db.migrate import upgrade
from ledger.db.periods_store import close_period
from ledger.db.uow import UnitOfWork
from ledger.db.verify import verify
from ledger.demo import anomalies
from ledger.demo.bank import Answer, SimulatedBank
from ledger.demo.county import base_roster, month_of, write_county
from ledger.demo.plants import oneoff
from ledger.errors import LedgerError, ValidationError
from ledger.files_util import sha256_of
from ledger.findings import service as findings_service
from ledger.findings.report import write_report
from ledger.funds import make_allocation
from ledger.roster import COLUMNS as ROSTER_COLUMNS
from ledger.tabular import open_table

# The two operators of the payment batch (maker-checker), civil affairs' clerk, the
# auditor and the administrator who registers them (ledger operators add).
MAKER = "li.finance"
CHECKER = "wang.finance"
CIVIL_AFFAIRS = "zhao.civil"
AUDITOR = "sun.audit"
ADMIN = "wu.admin"
OPERATORS = (
    # name, roles, full name, department
    (ADMIN, ("admin",), "吴管理", "财政"),
    (CIVIL_AFFAIRS, ("civil_affairs",), "赵民政", "民政"),
    (MAKER, ("finance_maker",), "李财务", "财政"),
    (CHECKER, ("finance_checker",), "王复核", "财政"),
    (AUDITOR, ("auditor",), "孙审计", "审计"),
)


@dataclass
class DemoOptions:
    directory: Path
    recipients: int = 3000
    months: int = 3
    seed: int = 2026
    first_period: str | None = None
    progress: Callable[[str], None] = lambda _message: None
    # Only the files a county would have (configuration, reference lists, monthly
    # rosters): no database, nothing run. For trying the commands by hand.
    files_only: bool = False


@dataclass
class MonthSummary:
    period: str
    roster_file: Path
    roster: dict[str, int] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    reissued: list[dict[str, Any]] = field(default_factory=list)
    cancelled: int = 0
    findings: dict[str, int] | None = None
    held: dict[str, int] | None = None
    exception_report: Path | None = None
    notes: list[str] = field(default_factory=list)
    files: list[tuple[str, Path]] = field(default_factory=list)


@dataclass
class DemoResult:
    directory: Path
    county_file: Path
    database: Path
    manifest: Path
    periods: list[str]
    months: list[MonthSummary]
    files: list[tuple[str, Path]]
    planted: dict[str, int]
    verified: bool


def default_first_period(months: int, today: date | None = None) -> str:
    """The demo pays the ``months`` months before the current one."""
    today = today or date.today()
    return month_of(f"{today.year:04d}-{today.month:02d}", -months)


def _at(period: str, day: int, hour: int = 1) -> datetime:
    return datetime(int(period[:4]), int(period[5:7]), day, hour, tzinfo=UTC)


def _day(period: str, day: int) -> date:
    return date(int(period[:4]), int(period[5:7]), day)


class Demo:
    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self.dir = options.directory
        self.rng = np.random.default_rng(options.seed)
        first = options.first_period or default_first_period(options.months)
        self.periods = [month_of(first, k) for k in range(options.months)]
        self.files: list[tuple[str, Path]] = []
        self.engine: Engine
        self.county: County

    # -- setup --------------------------------------------------------------------------
    def setup(self) -> None:
        if (self.dir / "ledger.db").exists() or (self.dir / "county.toml").exists():
            raise LedgerError(
                f"{self.dir} already holds a demo (ledger.db): choose another --dir or remove it"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        self.county_path, self.county = write_county(self.dir)
        self.files.append(("county configuration", self.county_path))
        self.db_path = self.dir / "ledger.db"
        self.roster = base_roster(self.county, self.options.recipients, self.rng, self.periods[0])
        self.plan = anomalies.make_plan(self.county, self.roster, self.periods, self.rng)
        self.bank = SimulatedBank(holders=dict(self.plan.bank_holders))
        if self.options.files_only:
            self._reference_lists(load=False)
            return
        self.engine = make_engine(database_url(str(self.db_path)))
        upgrade(self.engine)
        for name, roles, full_name, department in OPERATORS:
            with UnitOfWork(self.engine) as uow:
                operator_register.add(
                    uow,
                    name,
                    roles=roles,
                    full_name=full_name,
                    department=department,
                    by=ADMIN if name != ADMIN else "demo",
                )
        self._reference_lists(load=True)
        self._idle_allocation()

    def _reference_lists(self, *, load: bool) -> None:
        folder = self.dir / "refdata"
        folder.mkdir(exist_ok=True)
        lists = {
            "deaths": self.plan.deaths,
            "staff": self.plan.staff,
            "cadres": self.plan.cadres,
            **self.plan.assets,
        }
        for kind, frame in lists.items():
            assert frame is not None
            path = folder / f"{kind}.csv"
            frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
            if load:
                import_reference_list(self.engine, kind, path, operator=CIVIL_AFFAIRS)
            self.files.append((f"reference list: {kind}", path))

    def _idle_allocation(self) -> None:
        day = _day(self.periods[0], 1).toordinal() - 120
        allocate(
            self.engine,
            self.county,
            source="county",
            program=self.plan.idle_program,
            amount="200000.00",
            doc="示财社〔闲置〕1号",
            day=date.fromordinal(day),
        )

    # -- one month ------------------------------------------------------------------------
    def roster_file(self, k: int) -> tuple[Path, pd.DataFrame]:
        """Month ``k``'s roster as civil affairs' system exports it: CSV in GB18030."""
        period = self.periods[k]
        frame = anomalies.apply_month(self.county, self.roster, self.plan, k, self.rng)
        roster_dir = self.dir / "roster"
        roster_dir.mkdir(exist_ok=True)
        path = roster_dir / f"roster-{period}.csv"
        frame.to_csv(path, index=False, encoding="gb18030", lineterminator="\r\n")
        return path, frame

    def month(self, k: int) -> MonthSummary:
        period = self.periods[k]
        say = self.options.progress
        say(f"{period}: roster")
        roster_file, frame = self.roster_file(k)
        summary = MonthSummary(period, roster_file)
        summary.files.append(("roster file", roster_file))
        summary.roster = import_roster(
            self.engine,
            self.county,
            roster_file,
            month=period,
            operator=CIVIL_AFFAIRS,
            now=_at(period, 1, 9),
        )
        with UnitOfWork(self.engine) as uow:
            assert self.plan.unvalidated is not None
            anomalies.insert_unvalidated(
                uow.connection,
                self.plan.unvalidated,
                self.county,
                operator=CIVIL_AFFAIRS,
                month=period,
            )
            uow.commit()
        say(f"{period}: allocations")
        self._allocations(period, frame)
        if oneoff.add_and_approve(
            self.engine,
            self.county,
            self.plan.oneoff_cases,
            period,
            maker=CIVIL_AFFAIRS,
            checker=CHECKER,
            at=_at(period, 3, 9),
        ):
            say(f"{period}: one-off cases (临时救助) added and approved")
        say(f"{period}: batch run, approval, export")
        exported = self._pay(period, summary, regular=True)
        say(f"{period}: bank returns")
        self._bank_answers(period, exported, summary, day=11)
        self._reconcile(summary, day=12)
        say(f"{period}: follow-up of failures")
        self._follow_up(period, k, summary)
        self._findings(period, summary)
        today = date.today()
        if period < f"{today.year:04d}-{today.month:02d}":
            with UnitOfWork(self.engine) as uow:  # as `ledger journal close-period` does
                close_period(uow.connection, period, operator=CHECKER)
                record_event(
                    uow.connection,
                    operator=CHECKER,
                    action="period.closed",
                    subject_type="period",
                    subject_id=period,
                )
                uow.commit()
        return summary

    def _allocations(self, period: str, frame: pd.DataFrame) -> None:
        fen = frame["月发放金额(元)"].str.replace(".", "", regex=False).astype("int64")
        need = fen.groupby(frame["救助项目"]).sum()
        cases = oneoff.fen_of_period(self.plan.oneoff_cases, period)
        if cases and self.county.oneoff is not None:
            need[self.county.oneoff.program] = need.get(self.county.oneoff.program, 0) + cases
        for program, total in need.items():
            # 10% more than the roster asks for, in whole thousands of yuan.
            yuan = int(total * 1.1) // 100_000 * 1000 + 1000
            central = yuan * 6 // 10
            for source, amount in (("central", central), ("provincial", yuan - central)):
                allocate(
                    self.engine,
                    self.county,
                    source=source,
                    program=str(program),
                    amount=f"{amount}.00",
                    doc=f"冀财社〔{period[:4]}〕{int(period[5:]) * 10 + len(source)}号",
                    day=_day(period, 1),
                )

    def _pay(self, period: str, summary: MonthSummary, *, regular: bool) -> list[Path]:
        sheet_dir = self.dir / "sheets" / period
        bank_dir = self.dir / "bank" / period
        start = 5 if regular else 15
        with UnitOfWork(self.engine) as uow:
            if regular:
                result = payments.run_batches(
                    uow, self.county, period, operator=MAKER, now=_at(period, start)
                )
            else:
                banks = [
                    b
                    for b in self.county.banks
                    if not (period == self.periods[0] and b == anomalies.NEGLECTED_BANK)
                ]
                result = payments.reissue_failed(
                    uow, self.county, period, operator=MAKER, banks=banks, now=_at(period, start)
                )
        paths: list[Path] = []
        for created in result.created:
            with UnitOfWork(self.engine) as uow:
                sheet = sheets.write_sheet(
                    uow.connection, self.county, created.id, sheet_dir, stage="draft"
                )
            summary.files.append((f"approval sheet (draft), batch {created.id}", sheet))
            with UnitOfWork(self.engine) as uow:
                payments.approve(
                    uow,
                    created.id,
                    operator=CHECKER,
                    today=_day(period, start + 1),
                    now=_at(period, start + 1),
                )
            if created.held_count == created.count:
                continue  # every payment held: no bank file (`batch export` refuses it)
            with UnitOfWork(self.engine) as uow:
                done = payments.export(
                    uow,
                    self.county,
                    created.id,
                    bank_dir,
                    operator=MAKER,
                    today=_day(period, start + 3),
                    now=_at(period, start + 3),
                )
            record = {
                "batch": created.id,
                "kind": "regular" if regular else "supplementary",
                "program": created.program,
                "bank": created.bank,
                "count": created.count,
                "amount_fen": created.amount_fen_total,
                "file": done.path,
            }
            (summary.batches if regular else summary.reissued).append(record)
            summary.files.append((f"bank file, batch {created.id}", done.path))
            paths.append(done.path)
        return paths

    def _bank_answers(
        self, period: str, exported: list[Path], summary: MonthSummary, *, day: int
    ) -> None:
        self.bank.closed = self.plan.closed.get(period, set())
        if day < 15:
            self.bank.frozen = set(self.plan.frozen.get(period, set()))
            self.bank.pending = self.plan.pending.get(period, set())
            self.bank.tampering = list(self.plan.tampering.get(period, []))
        else:
            self.bank.pending = set()
        for path in exported:
            answer: Answer = self.bank.answer(
                path, self.dir / "returns" / period, now=_at(period, day, 9)
            )
            summary.returns.append(
                {
                    "file": answer.path,
                    "profile": answer.profile,
                    "settled": answer.count("成功"),
                    "failed": answer.count("失败"),
                    "pending": answer.count("处理中"),
                    "tampered": [(line.sequence, line.tampered) for line in answer.tampered],
                }
            )
            summary.files.append(("bank return file", answer.path))

    def _reconcile(self, summary: MonthSummary, *, day: int) -> None:
        """Civil affairs imports every return file not imported yet (ledger reconcile
        import), with the county's own return profiles."""
        moment = _at(summary.period, day, 10)
        for r in summary.returns:
            if r.get("reconciled"):
                continue
            with UnitOfWork(self.engine) as uow:
                result = reconciliation.import_return(
                    uow,
                    r["file"],
                    operator=CIVIL_AFFAIRS,
                    county_path=self.county_path,
                    today=moment.date(),
                    now=moment,
                )
            summary.reconciliation.append(
                {
                    "file": str(r["file"]),
                    "settled": result.settled,
                    "failed": result.failed,
                    "returned": result.returned,
                    "pending": result.pending,
                    "exceptions": result.exceptions,
                }
            )
            r["reconciled"] = True

    def _follow_up(self, period: str, k: int, summary: MonthSummary) -> None:
        """Closed accounts and name mismatches are cancelled (the roster must be fixed
        first); frozen accounts are re-issued. Month 1 at the neglected bank: nothing."""
        failed = failed_instructions(self.engine, period)
        to_cancel = [
            i
            for i, reason, bank in failed
            if reason in ("AC04", "BE01") and not (k == 0 and bank == anomalies.NEGLECTED_BANK)
        ]
        moment = _at(period, 14)
        for instruction_id in to_cancel:
            with UnitOfWork(self.engine) as uow:
                reconciliation.cancel(
                    uow,
                    str(instruction_id),
                    operator=CIVIL_AFFAIRS,
                    reason="账户已销户或户名不符，待核实后重新申请",
                    today=moment.date(),
                    now=moment,
                )
        summary.cancelled = len(to_cancel)
        exported = self._pay(period, summary, regular=False)
        if exported:
            self._bank_answers(period, exported, summary, day=21)
            self._reconcile(summary, day=22)

    def _findings(self, period: str, summary: MonthSummary) -> None:
        """The auditor runs detection (ledger findings detect) and writes the exception
        report (ledger report exceptions); found counts are per planted kind."""
        moment = _at(period, 25)
        with UnitOfWork(self.engine) as uow:
            findings_service.detect(
                uow, self.county, operator=AUDITOR, period=period, as_of=moment.date(), now=moment
            )
        summary.findings = self._found()
        summary.held = self._held()
        out = self.dir / "reports" / f"exceptions-{period}.html"
        with UnitOfWork(self.engine) as uow:
            write_report(uow.connection, self.county, period, out, today=moment.date())
        summary.exception_report = out
        summary.files.append(("exception report", out))

    def _found(self) -> dict[str, int]:
        """Per planted kind: how many planted recipients have a finding of the kind's
        rule (through their shared account for D02); for kinds whose subject is not a
        recipient (a file line, a batch, the treasury, a township), how many findings
        the rule holds."""
        by_rule: dict[str, set[int]] = {}
        accounts: dict[str, set[str]] = {}
        counts: dict[str, int] = {}
        for rule, recipient_id, subject_type, subject_id in fetch_all_rows(
            self.engine, "SELECT rule, recipient_id, subject_type, subject_id FROM findings"
        ):
            counts[rule] = counts.get(rule, 0) + 1
            if recipient_id is not None:
                by_rule.setdefault(rule, set()).add(int(recipient_id))
            if subject_type == "account":
                accounts.setdefault(rule, set()).add(str(subject_id))
        ids = dict(fetch_all_rows(self.engine, "SELECT id_number, id FROM recipients"))
        found: dict[str, int] = {}
        for item in self.plan.manifest()["planted"]:
            rule = anomalies.RULE_OF_KIND[item["kind"]]
            people = [s for s in item["subjects"] if s.get("type") == "recipient"]
            if people and rule in _RULES_ON_ACCOUNTS:
                hit_accounts = accounts.get(rule, set())
                found[item["kind"]] = sum(1 for p in people if p["account_number"] in hit_accounts)
            elif people and rule not in _RULES_WITHOUT_RECIPIENT:
                hit = by_rule.get(rule, set())
                found[item["kind"]] = sum(1 for p in people if ids.get(p["id_number"]) in hit)
            else:
                found[item["kind"]] = counts.get(rule, 0)
        return found

    def _held(self) -> dict[str, int]:
        """Per planted kind that screening stops: how many planted recipients had a
        payment held for the kind's reason (in any batch so far)."""
        held: dict[str, set[str]] = {}
        for reason, id_number in fetch_all_rows(
            self.engine,
            "SELECT h.reason, r.id_number FROM instruction_holds h"
            " JOIN payment_instructions i ON i.id = h.instruction_id"
            " JOIN recipients r ON r.id = i.recipient_id",
        ):
            held.setdefault(str(reason), set()).add(str(id_number))
        counts: dict[str, int] = {}
        for item in self.plan.manifest()["planted"]:
            reason = anomalies.HOLD_OF_KIND.get(item["kind"])
            if reason is None:
                continue
            people = {s["id_number"] for s in item["subjects"] if s.get("type") == "recipient"}
            counts[item["kind"]] = len(people & held.get(reason, set()))
        return counts

    # -- the end ----------------------------------------------------------------------------
    def finish(self, months: list[MonthSummary]) -> DemoResult:
        manifest = self.plan.manifest()
        keys = dict(fetch_all_rows(self.engine, "SELECT id_number, key FROM recipients"))
        for item in manifest["planted"]:
            for subject in item["subjects"]:
                if "id_number" in subject:
                    subject["key"] = keys.get(subject["id_number"])
        for item in manifest["near_misses"]:
            item["key"] = keys.get(item["id_number"])
        found = months[-1].findings if months else None
        held = months[-1].held if months else None
        document = {
            "generated_by": "ledger demo",
            "seed": self.options.seed,
            "recipients": self.options.recipients,
            "months": self.options.months,
            "county": self.county.code,
            "database": str(self.db_path),
            **manifest,
            "found": found,
            "held": held,
        }
        path = self.dir / "manifest.json"
        path.write_text(
            json.dumps(anomalies.masked(document), ensure_ascii=False, indent=2, default=str)
            + "\n",
            encoding="utf-8",
        )
        with UnitOfWork(self.engine) as uow:  # what `ledger audit verify` checks
            verified = verify(uow.connection).ok and verify_events(uow.connection).ok
        files = list(self.files)
        for summary in months:
            files += summary.files
        files.append(("planted-anomaly manifest", path))
        self.engine.dispose()
        return DemoResult(
            self.dir,
            self.county_path,
            self.db_path,
            path,
            self.periods,
            months,
            files,
            manifest["counts"],
            verified,
        )


def run_demo(options: DemoOptions) -> DemoResult:
    demo = Demo(options)
    demo.setup()
    if options.files_only:
        rosters = [demo.roster_file(k)[0] for k in range(len(demo.periods))]
        files = [*demo.files, *(("roster file", p) for p in rosters)]
        return DemoResult(
            demo.dir,
            demo.county_path,
            demo.db_path,
            demo.dir / "manifest.json",
            demo.periods,
            [],
            files,
            {},
            True,
        )
    months = [demo.month(k) for k in range(len(demo.periods))]
    return demo.finish(months)


# -- the services, called as the commands call them -------------------------------------------


# Rules whose findings name a file line, a batch, the treasury or a township, not a
# recipient: their planted kinds are compared by the number of findings.
_RULES_WITHOUT_RECIPIENT = {"D05", "W02", "W04", "F01"}
# Rules whose findings name the shared account: planted people are found through it.
_RULES_ON_ACCOUNTS = {"D02"}


def fetch_all_rows(engine: Engine, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with UnitOfWork(engine) as uow:
        return fetch_all(uow.connection, sql, params)


def failed_instructions(engine: Engine, period: str) -> list[tuple[int, str, str]]:
    """(instruction id, reason code, bank) of the period's failed instructions."""
    rows = fetch_all_rows(
        engine,
        "SELECT i.id, COALESCE(i.reason_code, ''), b.bank FROM payment_instructions i "
        "JOIN batches b ON b.id = i.batch_id "
        "WHERE i.status = 'failed' AND b.period = ? ORDER BY i.id",
        (period,),
    )
    return [(int(i), str(r), str(b)) for i, r, b in rows]


def import_roster(
    engine: Engine, county: County, path: Path, *, month: str, operator: str, now: datetime
) -> dict[str, int]:
    """``ledger registry import FILE --month M``."""
    table = open_table(path, ROSTER_COLUMNS)
    with UnitOfWork(engine) as uow:
        result = registry_import.run_import(
            uow,
            table,
            county,
            file_name=str(path),
            file_sha256=sha256_of(path),
            operator=operator,
            roster_month=month,
            now=now,
        )
    return {
        "rows": result.row_count,
        "added": result.added,
        "changed": result.changed,
        "exited": result.exited,
        "warnings": result.warning_count,
    }


def import_reference_list(engine: Engine, kind: str, path: Path, *, operator: str) -> int:
    """``ledger refdata import KIND FILE``."""
    rows, _problems = refdata_import.read_list(path, kind)
    with UnitOfWork(engine) as uow:
        return refdata_import.import_list(
            uow, kind, rows, file_name=str(path), file_sha256=sha256_of(path), operator=operator
        )


def allocate(
    engine: Engine, county: County, *, source: str, program: str, amount: str, doc: str, day: date
) -> None:
    """``ledger funds allocate``."""
    allocation, problems = make_allocation(
        county, source=source, program=program, amount=amount, doc=doc, day=day
    )
    if allocation is None:
        raise ValidationError("the allocation was refused:", [m for _, m in problems])
    with UnitOfWork(engine) as uow:
        allocations.allocate(uow, allocation, operator=MAKER, county=county)


__all__ = ["DemoOptions", "DemoResult", "MonthSummary", "run_demo"]
