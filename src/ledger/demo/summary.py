"""The demo's options and what it reports: per month (``MonthSummary``) and at the end
(``DemoResult``); the simulated clock (``at``, ``day``: dates inside a period)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ledger.county import County
from ledger.demo.county import month_of


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


def at(period: str, day: int, hour: int = 1) -> datetime:
    return datetime(int(period[:4]), int(period[5:7]), day, hour, tzinfo=UTC)


def day_of(period: str, day: int) -> date:
    return date(int(period[:4]), int(period[5:7]), day)


def batch_record(county: County, created: Any, done: Any, *, regular: bool) -> dict[str, Any]:
    """A month's exported batch as the summary lists it: its kind (a one-off batch of
    临时救助 apart), the payments in its bank file and how many the screening held."""
    oneoff_program = county.oneoff.program if county.oneoff else None
    kind = "regular" if created.program != oneoff_program else "oneoff"
    return {
        "batch": created.id,
        "kind": kind if regular else "supplementary",
        "program": created.program,
        "bank": created.bank,
        "count": done.count,  # in the file: held payments are not
        "amount_fen": done.amount_fen_total,
        "held": created.held_count,
        "file": done.path,
    }
