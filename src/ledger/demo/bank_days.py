"""The bank's days of a demo month: the simulated bank answers the exported files
(day 11, and day 21 for the re-issues) and civil affairs imports every return (day 12,
day 22), as `ledger reconcile import` does."""

from pathlib import Path

from sqlalchemy.engine import Engine

from ledger import reconciliation
from ledger.db.uow import UnitOfWork
from ledger.demo.bank import Answer, SimulatedBank
from ledger.demo.plan import Plan
from ledger.demo.roles import CIVIL_AFFAIRS
from ledger.demo.summary import MonthSummary, at


def answer_files(
    bank: SimulatedBank,
    plan: Plan,
    returns_dir: Path,
    period: str,
    exported: list[Path],
    summary: MonthSummary,
    *,
    day: int,
) -> None:
    """The simulated bank answers the exported files (the plan says which accounts it
    reports closed, frozen or pending, and which lines it tampers with)."""
    bank.closed = plan.closed.get(period, set())
    bank.uncollected = plan.uncollected.get(period, set())
    if day < 15:
        bank.frozen = set(plan.frozen.get(period, set()))
        bank.pending = plan.pending.get(period, set())
        bank.tampering = list(plan.tampering.get(period, []))
    else:
        bank.pending = set()
    for path in exported:
        answer: Answer = bank.answer(path, returns_dir, now=at(period, day, 9))
        summary.returns.append(
            {
                "file": answer.path,
                "profile": answer.profile,
                # A bank's words, or a cash list's (已领取/未领取/待领取).
                "settled": answer.count("成功") + answer.count("已领取"),
                "failed": answer.count("失败") + answer.count("未领取"),
                "pending": answer.count("处理中") + answer.count("待领取"),
                "tampered": [(line.sequence, line.tampered) for line in answer.tampered],
            }
        )
        summary.files.append(("bank return file", answer.path))


def reconcile_returns(
    engine: Engine, county_path: Path, summary: MonthSummary, *, day: int
) -> None:
    """Civil affairs imports every return file not imported yet (ledger reconcile
    import), with the county's own return profiles."""
    moment = at(summary.period, day, 10)
    for r in summary.returns:
        if r.get("reconciled"):
            continue
        with UnitOfWork(engine) as uow:
            result = reconciliation.import_return(
                uow,
                r["file"],
                operator=CIVIL_AFFAIRS,
                county_path=county_path,
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
