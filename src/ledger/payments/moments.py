"""The moments batches record: now in UTC to the second, and stored timestamps as UTC."""

from datetime import UTC, datetime


def now_utc(now: datetime | None = None) -> datetime:
    """``now`` (or the clock) in UTC, to the second."""
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def as_utc(moment: datetime) -> datetime:
    """SQLite gives naive timestamps (recorded in UTC); PostgreSQL aware ones."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
