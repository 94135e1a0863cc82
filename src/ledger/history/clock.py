"""Times, cut-offs and shared field formatting of the history documents."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from ledger.identity import mask
from ledger.money import format_yuan
from ledger.roster import VERSIONED

FORMAT = "ledger.audit.history/1"
CHINA_TIME = timezone(timedelta(hours=8))
PAYABLE = "Liabilities:Payable:"
RECOVERY = "Assets:Receivable:Recovery:"

ENROLMENT_FIELDS = VERSIONED  # the fields whose change the history names
ACCOUNT_FIELDS = frozenset({"bank", "account_number", "account_holder"})


def utc(value: Any) -> datetime | None:
    """Database timestamps as aware UTC datetimes (SQLite returns them naive, in UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cutoff_for(as_of: date | None) -> datetime | None:
    """The first moment after ``as_of`` (midnight China time, as UTC)."""
    if as_of is None:
        return None
    return datetime.combine(as_of + timedelta(days=1), time(0), CHINA_TIME).astimezone(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA_TIME).date()


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def money(prefix: str, fen: int) -> dict[str, Any]:
    """``{prefix}_fen`` (int) and ``{prefix}`` (yuan text)."""
    return {f"{prefix}_fen": fen, prefix: format_yuan(fen)}


def is_known(moment: Any, cutoff: datetime | None) -> bool:
    at = utc(moment)
    return at is not None and (cutoff is None or at < cutoff)


def show(value: Any, unmask: bool) -> str:
    return str(value) if unmask else mask(None if value is None else str(value))


def date_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
