"""What is still open in a period before it is closed (the close checklist).

Read-only: a few grouped counts, one query each. ``ledger journal close-period`` shows
them and refuses to close while any is left unless forced with a reason.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from ledger.db.bulk import fetch_all
from ledger.db.schema import periods

UNRECONCILED_STATES = ("approved", "exported", "partially_reconciled")
OPEN_FINDING_STATUSES = ("open", "assigned", "rectified")


@dataclass(frozen=True)
class Item:
    """One open point: what it is, how many, and the ids to look at (at most 20)."""

    code: str
    title_zh: str
    title_en: str
    count: int
    ids: tuple[int, ...]

    def line(self) -> str:
        shown = ", ".join(str(i) for i in self.ids)
        more = f" (first {len(self.ids)})" if self.count > len(self.ids) else ""
        return f"{self.title_zh} / {self.title_en}: {self.count}{more}: {shown}"


def _ids(connection: sa.Connection, sql: str, params: tuple[object, ...]) -> tuple[int, list[int]]:
    rows = fetch_all(connection, sql, params)
    return len(rows), [int(r[0]) for r in rows[:20]]


def checklist(connection: sa.Connection, period: str) -> list[Item]:
    """Every open point of ``period``: draft batches, batches not fully reconciled, and
    findings neither verified nor dismissed. Empty when the period may be closed."""
    states = ", ".join(f"'{s}'" for s in UNRECONCILED_STATES)
    statuses = ", ".join(f"'{s}'" for s in OPEN_FINDING_STATUSES)
    checks = [
        (
            "draft_batches",
            "草稿批次未审批或作废",
            "draft batches (approve or void them)",
            "SELECT id FROM batches WHERE period = ? AND state = 'draft' ORDER BY id",
        ),
        (
            "unreconciled_batches",
            "批次未完成对账",
            "batches not reconciled (import the bank's returns)",
            f"SELECT id FROM batches WHERE period = ? AND state IN ({states}) ORDER BY id",
        ),
        (
            "open_findings",
            "问题线索未销号或排除",
            "findings neither verified nor dismissed",
            f"SELECT id FROM findings WHERE period = ? AND status IN ({statuses}) ORDER BY id",
        ),
    ]
    out = []
    for code, zh, en, sql in checks:
        count, ids = _ids(connection, sql, (period,))
        if count:
            out.append(Item(code, zh, en, count, tuple(ids)))
    return out


def is_closed(connection: sa.Connection, period: str) -> bool:
    status = connection.execute(
        sa.select(periods.c.status).where(periods.c.period == period)
    ).scalar()
    return status == "closed"
