"""Closing a period (``ledger journal close-period``): from then on nothing dated inside
it can be posted (the journal's insert trigger refuses it too)."""

from datetime import UTC, date, datetime

import sqlalchemy as sa

from ledger.db.schema import periods
from ledger.errors import LedgerError


def close_period(connection: sa.Connection, period: str, *, operator: str) -> None:
    """Close ``period`` (YYYY-MM): from now on nothing dated inside it can be posted."""
    _check_period_text(period)
    row = connection.execute(sa.select(periods.c.status).where(periods.c.period == period)).first()
    now = datetime.now(UTC)
    if row is not None and row.status == "closed":
        raise LedgerError(f"period {period} is already closed")
    if row is None:
        connection.execute(
            periods.insert().values(
                period=period, status="closed", closed_at=now, closed_by=operator
            )
        )
    else:
        connection.execute(
            periods.update()
            .where(periods.c.period == period)
            .values(status="closed", closed_at=now, closed_by=operator)
        )


def _check_period_text(period: str) -> None:
    try:
        year, month = period.split("-")
        date(int(year), int(month), 1)
        if len(year) != 4 or len(month) != 2:
            raise ValueError
    except ValueError:
        raise LedgerError(f"not a period (YYYY-MM): {period!r}") from None
