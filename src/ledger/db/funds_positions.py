"""Per program × source, for one year as of a day: where the money is (int fen).

The measures of docs/ledger.md "Spending progress": opening, carried in, allocated,
sent, returned, recovered, in the bank, disbursed, available, and the spending progress
against the elapsed time of the year. Read from ``allocations`` and ``fund_lineage``
grouped in SQL (a few rows per program and source), and the in-bank part from the
attribution query (running sums over the batches that still have money at the bank).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from ledger.db.fund_lineage import attribution_sql

MEASURES = (
    "opening",
    "carried_in",
    "allocated",
    "sent",
    "returned",
    "recovered",
    "in_bank",
    "disbursed",
    "available",
)
CLOSING = ("carry_out", "refund")

_ALLOCATED = """
SELECT al.program, al.source, t.type,
       CASE WHEN al.allocation_date < :start THEN 'before' ELSE 'year' END AS bucket,
       SUM(al.amount_fen)
FROM allocations al JOIN transactions t ON t.id = al.transaction_id
WHERE al.allocation_date <= :as_of
GROUP BY al.program, al.source, t.type,
         CASE WHEN al.allocation_date < :start THEN 'before' ELSE 'year' END
"""

_LINEAGE = """
SELECT l.program, l.source, l.kind,
       CASE WHEN t.effective_date < :start THEN 'before' ELSE 'year' END AS bucket,
       SUM(l.amount_fen)
FROM fund_lineage l JOIN transactions t ON t.id = l.transaction_id
WHERE t.effective_date <= :as_of
GROUP BY l.program, l.source, l.kind,
         CASE WHEN t.effective_date < :start THEN 'before' ELSE 'year' END
"""

# Instructions funded by the day whose money the bank had neither paid out nor sent back
# by then (no clearing credit naming them dated on or before the day).
_CLEARED = (
    "SELECT p.instruction_id FROM postings p JOIN transactions t ON t.id = p.transaction_id"
    " WHERE p.account_id IN (SELECT id FROM accounts WHERE name LIKE 'Assets:BankClearing:%')"
    " AND p.amount_fen < 0 AND p.instruction_id IS NOT NULL AND t.effective_date <= :as_of"
)
_IN_BANK = (
    "SELECT x.program, x.source, SUM(x.amount_fen) FROM ("
    + attribution_sql(
        "b.id IN (SELECT i3.batch_id FROM payment_instructions i3 WHERE i3.status <> 'held'"
        " AND i3.id NOT IN (" + _CLEARED + "))",
        "fi.instruction_id NOT IN (" + _CLEARED + ")",
    )
    + ") x GROUP BY x.program, x.source"
)


@dataclass
class Position:
    program: str
    source: str
    amounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))
    progress_bp: int | None = None
    behind: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"program": self.program, "source": self.source}
        out.update({f"{k}_fen": v for k, v in self.amounts.items()})
        out["progress_bp"] = self.progress_bp
        out["behind"] = self.behind
        return out


@dataclass
class Positions:
    year: int
    as_of: date
    elapsed_bp: int
    required_bp: int
    rows: list[Position]  # per program × source, then one "total" row per program


def _run(connection: sa.Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    statement = sa.text(sql).bindparams(
        *(sa.bindparam(k, type_=sa.Date) for k in params if isinstance(params[k], date))
    )
    return list(connection.execute(statement, params))


def in_bank(connection: sa.Connection, as_of: date) -> dict[tuple[str, str], int]:
    return {(p, s): int(n) for p, s, n in _run(connection, _IN_BANK, {"as_of": as_of}) if int(n)}


def elapsed_bp(day: date) -> int:
    """Basis points of the year elapsed at the end of ``day``."""
    start = date(day.year, 1, 1)
    days = (date(day.year + 1, 1, 1) - start).days
    return ((day - start).days + 1) * 10000 // days


def progress(spent: int, budget: int) -> int | None:
    return spent * 10000 // budget if budget > 0 else None


def positions(
    connection: sa.Connection,
    *,
    as_of: date,
    required_pace_bp: int,
    source_order: list[str],
    program_order: list[str] | None = None,
) -> Positions:
    """The year of ``as_of``, from its 1 January to ``as_of`` (see the module doc)."""
    start = date(as_of.year, 1, 1)
    params = {"start": start, "as_of": as_of}
    cells: dict[tuple[str, str], Position] = {}

    def cell(program: str, source: str) -> dict[str, int]:
        key = (program, source)
        if key not in cells:
            cells[key] = Position(program, source)
        return cells[key].amounts

    for program, source, type_, bucket, amount in _run(connection, _ALLOCATED, params):
        row, amount = cell(program, source), int(amount)
        if bucket == "before":
            row["opening"] += amount
        elif type_ == "carryover":
            row["carried_in"] += amount
        else:
            row["allocated"] += amount
    for program, source, kind, bucket, amount in _run(connection, _LINEAGE, params):
        row, amount = cell(program, source), int(amount)
        if bucket == "before" or kind in CLOSING:
            row["opening"] -= amount
        elif kind == "withdrawn":
            row["allocated"] -= amount
        elif kind == "draw":
            row["sent"] += amount
        elif kind == "return":
            row["returned"] -= amount
        elif kind == "recovery":
            row["recovered"] -= amount
    now = in_bank(connection, as_of)
    before = in_bank(connection, start - timedelta(days=1))
    for key in set(now) | set(before):
        cell(*key)
    elapsed = elapsed_bp(as_of)
    rank = {s: i for i, s in enumerate(source_order)}
    rows: list[Position] = []
    order = {p: i for i, p in enumerate(program_order or [])}
    for program in sorted({p for p, _ in cells}, key=lambda p: (order.get(p, len(order)), p)):
        total = Position(program, "total")
        mine = sorted(
            (c for (p, _), c in cells.items() if p == program),
            key=lambda c: (rank.get(c.source, len(rank)), c.source),
        )
        for position in mine:
            a = position.amounts
            key = (program, position.source)
            a["in_bank"] = now.get(key, 0)
            a["disbursed"] = a["sent"] - a["returned"] - a["in_bank"] + before.get(key, 0)
            a["available"] = (
                a["opening"]
                + a["carried_in"]
                + a["allocated"]
                - a["sent"]
                + a["returned"]
                + a["recovered"]
            )
            for measure in MEASURES:
                total.amounts[measure] += a[measure]
            rows.append(position)
        rows.append(total)
    for position in rows:
        a = position.amounts
        position.progress_bp = progress(
            a["sent"] - a["returned"], a["opening"] + a["carried_in"] + a["allocated"]
        )
        position.behind = (
            position.progress_bp is not None
            and position.progress_bp * 10000 < elapsed * required_pace_bp
        )
    return Positions(as_of.year, as_of, elapsed, required_pace_bp, rows)
