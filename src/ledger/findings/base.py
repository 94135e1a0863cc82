"""What every rule shares: the RULE record, the detection context, the candidate frame.

A rule is a module-level ``RULE = Rule(...)``: its id, category, titles, the data it
reads, what it checks, the thresholds it uses, and ``detect(ctx) -> DataFrame``. Rules
are set-based: one or a few SQL queries (read with the driver's own cursor) and pandas
operations over whole columns; none loops over recipients in Python.

The frame a rule returns has one row per finding it sees, with the columns of
``CANDIDATE_COLUMNS``: ``subject_type`` (recipient, account, batch, township),
``subject_id`` (the recipient's key such as R0000001, a batch id, an account number or
name, a township code), ``period`` (YYYY-MM), ``township``/``program``/``recipient_id``
(for grouping and recovery, may be None), ``amount_fen`` (amount at risk, int fen),
``severity`` (high, medium, low), ``evidence`` (a dict: instruction and transaction ids,
return file and line, reference rows) and ``summary`` (one line of English text).
"""

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ledger.batches import period_start, previous_period
from ledger.county import County
from ledger.db.bulk import fetch_all

CANDIDATE_COLUMNS = [
    "subject_type",
    "subject_id",
    "period",
    "township",
    "program",
    "recipient_id",
    "amount_fen",
    "severity",
    "evidence",
    "summary",
]


@dataclass(frozen=True)
class Context:
    """What a rule run sees: the database, the county, the period and the day."""

    connection: sa.Connection
    county: County
    period: str
    as_of: date

    @property
    def start(self) -> date:
        return period_start(self.period)

    @property
    def previous(self) -> str:
        return previous_period(self.period)

    def threshold(self, name: str) -> int:
        return int(self.county.thresholds[name])

    def frame(self, sql: str, params: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
        """A query's rows as a DataFrame (``?`` placeholders; dates passed as ISO text to
        SQLite, which stores them so)."""
        if self.connection.dialect.name == "sqlite":
            params = [p.isoformat() if isinstance(p, date) else p for p in params]
        elif self.connection.dialect.paramstyle in ("format", "pyformat"):
            sql = sql.replace("%", "%%")
        return pd.DataFrame(fetch_all(self.connection, sql, params), columns=list(columns))


@dataclass(frozen=True)
class Rule:
    """One exception rule, documented for the generated catalogue."""

    id: str
    category: str  # withheld, diverted, misappropriated, fluctuation
    title_zh: str
    title_en: str
    data: tuple[str, ...]
    checks: str
    detect: Callable[[Context], pd.DataFrame] = field(repr=False, compare=False)
    thresholds: tuple[str, ...] = ()
    subject: str = "recipient"
    severity: str = "high"
    amount: str = ""


def records(frame: pd.DataFrame) -> list[Any]:
    """A frame's rows as named tuples (typed loosely: their fields are the columns)."""
    return list(frame.itertuples())


def period_end(period: str) -> date:
    start = period_start(period)
    return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in CANDIDATE_COLUMNS})


def as_dates(values: pd.Series) -> pd.Series:
    """Driver values (date, datetime or ISO text from SQLite) as datetime64 dates."""
    if len(values) == 0:
        return pd.Series([], dtype="datetime64[s]")
    parsed = pd.to_datetime(values.astype(str), format="mixed", utc=True, errors="coerce")
    return parsed.dt.tz_localize(None).dt.normalize()


def ids_list(values: pd.Series, limit: int = 50) -> list[int]:
    """Sorted ids for evidence, at most ``limit`` of them (the count is kept beside)."""
    return sorted(int(v) for v in values)[:limit]


def group_payments(
    rows: pd.DataFrame,
    by: list[str],
    *,
    extra: dict[str, tuple[str, Any]] | None = None,
) -> pd.DataFrame:
    """Sum ``amount_fen`` and collect ``instruction_id`` lists per group (pandas)."""
    aggregations: dict[str, Any] = {
        "amount_fen": ("amount_fen", "sum"),
        "instruction_ids": ("instruction_id", lambda s: ids_list(s)),
        "instruction_count": ("instruction_id", "size"),
    }
    aggregations.update(extra or {})
    return rows.groupby(by, as_index=False, sort=True).agg(**aggregations)


def finish(
    rows: pd.DataFrame,
    *,
    subject_type: str,
    subject_id: pd.Series,
    period: pd.Series | str,
    amount_fen: pd.Series,
    evidence: list[dict[str, Any]] | Callable[[Any], dict[str, Any]],
    summary: list[str] | Callable[[Any], str],
    severity: pd.Series | str = "high",
    township: pd.Series | None = None,
    program: pd.Series | None = None,
    recipient_id: pd.Series | None = None,
) -> pd.DataFrame:
    """Assemble the candidate frame from columns computed by a rule; ``evidence`` and
    ``summary`` are lists, or functions of one row (a named tuple of ``rows``)."""
    n = len(rows)
    if n == 0:
        return empty()
    if callable(evidence):
        evidence = [evidence(r) for r in records(rows)]
    if callable(summary):
        summary = [summary(r) for r in records(rows)]

    def column(value: Any) -> list[Any]:
        if value is None:
            return [None] * n
        if isinstance(value, str):
            return [value] * n
        return list(value)

    out = pd.DataFrame(
        {
            "subject_type": [subject_type] * n,
            "subject_id": [str(v) for v in subject_id],
            "period": column(period),
            "township": column(township),
            "program": column(program),
            "recipient_id": [None if pd.isna(v) else int(v) for v in column(recipient_id)],
            "amount_fen": [int(v) for v in amount_fen],
            "severity": column(severity),
            "evidence": evidence,
            "summary": summary,
        }
    )
    return out
