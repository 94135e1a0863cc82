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
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from ledger import (
    payments,
    reconciliation,
    sheets,
)
from ledger.county import County
from ledger.db.engine import database_url, make_engine
from ledger.db.event_verify import verify_events
from ledger.db.migrate import upgrade
from ledger.db.uow import UnitOfWork
from ledger.db.verify import verify
from ledger.demo import anomalies, bank_days, tally
from ledger.demo.bank import SimulatedBank
from ledger.demo.commands import (
    allocate,
    close_month,
    failed_instructions,
    fetch_all_rows,
    import_categories,
    import_reference_list,
    import_roster,
    register_operators,
    write_receipt_list,
)
from ledger.demo.county import base_roster, month_of, write_county
from ledger.demo.plants import oneoff
from ledger.demo.roles import AUDITOR, CHECKER, CIVIL_AFFAIRS, MAKER
from ledger.demo.summary import (
    DemoOptions,
    DemoResult,
    MonthSummary,
    at,
    batch_record,
    day_of,
    default_first_period,
)
from ledger.errors import LedgerError
from ledger.findings import service as findings_service
from ledger.findings.report import write_report


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
        register_operators(self.engine)
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
        day = day_of(self.periods[0], 1).toordinal() - 120
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
            now=at(period, 1, 9),
        )
        if k == 0:
            assert self.plan.categories is not None
            path = self.dir / "refdata" / "categories.csv"
            import_categories(self.engine, self.county, self.plan.categories, path, period)
            self.files.append(("reference list: categories (分类施保)", path))
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
            at=at(period, 3, 9),
        ):
            say(f"{period}: one-off cases (临时救助) added and approved")
        say(f"{period}: batch run, approval, export")
        exported = self._pay(period, summary, regular=True)
        say(f"{period}: bank returns")
        bank_days.answer_files(
            self.bank, self.plan, self.dir / "returns" / period, period, exported, summary, day=11
        )
        bank_days.reconcile_returns(self.engine, self.county_path, summary, day=12)
        say(f"{period}: follow-up of failures")
        self._follow_up(period, k, summary)
        self._findings(period, summary)
        today = date.today()
        if period < f"{today.year:04d}-{today.month:02d}":
            close_month(self.engine, period, operator=CHECKER)
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
                    day=day_of(period, 1),
                )

    def _pay(self, period: str, summary: MonthSummary, *, regular: bool) -> list[Path]:
        sheet_dir = self.dir / "sheets" / period
        bank_dir = self.dir / "bank" / period
        start = 5 if regular else 15
        with UnitOfWork(self.engine) as uow:
            if regular:
                result = payments.run_batches(
                    uow, self.county, period, operator=MAKER, now=at(period, start)
                )
            else:
                banks = [
                    b
                    for b in self.county.banks
                    if not (period == self.periods[0] and b == anomalies.NEGLECTED_BANK)
                ]
                result = payments.reissue_failed(
                    uow, self.county, period, operator=MAKER, banks=banks, now=at(period, start)
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
                    today=day_of(period, start + 1),
                    now=at(period, start + 1),
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
                    today=day_of(period, start + 3),
                    now=at(period, start + 3),
                )
            record = batch_record(self.county, created, done, regular=regular)
            (summary.batches if regular else summary.reissued).append(record)
            summary.files.append((f"bank file, batch {created.id}", done.path))
            with self.engine.connect() as connection:  # as `ledger batch export` does
                residents = sheets.write_residents(connection, self.county, created.id, bank_dir)
            if residents is not None:
                summary.files.append((f"residents attachment, batch {created.id}", residents))
            if created.bank in self.county.cash_banks:  # `ledger report receipts`
                listed = write_receipt_list(self.engine, self.county, created.id, bank_dir)
                summary.files.append((f"cash receipt list, batch {created.id}", listed))
            paths.append(done.path)
        return paths

    def _follow_up(self, period: str, k: int, summary: MonthSummary) -> None:
        """Closed accounts and name mismatches are cancelled (the roster must be fixed
        first); frozen accounts are re-issued. Month 1 at the neglected bank: nothing."""
        failed = failed_instructions(self.engine, period)
        to_cancel = [
            i
            for i, reason, bank in failed
            if reason in ("AC04", "BE01") and not (k == 0 and bank == anomalies.NEGLECTED_BANK)
        ]
        moment = at(period, 14)
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
            bank_days.answer_files(
                self.bank,
                self.plan,
                self.dir / "returns" / period,
                period,
                exported,
                summary,
                day=21,
            )
            bank_days.reconcile_returns(self.engine, self.county_path, summary, day=22)

    def _findings(self, period: str, summary: MonthSummary) -> None:
        """The auditor runs detection (ledger findings detect) and writes the exception
        report (ledger report exceptions); found counts are per planted kind."""
        moment = at(period, 25)
        with UnitOfWork(self.engine) as uow:
            findings_service.detect(
                uow, self.county, operator=AUDITOR, period=period, as_of=moment.date(), now=moment
            )
        summary.findings = tally.found(self.engine, self.plan)
        summary.held = tally.held(self.engine, self.plan)
        out = self.dir / "reports" / f"exceptions-{period}.html"
        with UnitOfWork(self.engine) as uow:
            write_report(uow.connection, self.county, period, out, today=moment.date())
        summary.exception_report = out
        summary.files.append(("exception report", out))

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


__all__ = ["DemoOptions", "DemoResult", "MonthSummary", "run_demo"]
