"""The web console's sign-in records in SQL (``web_credentials``)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.db.schema import operators, web_credentials


@dataclass(frozen=True)
class Credential:
    operator_id: int
    password_hash: str
    failed_count: int
    locked_until: datetime | None


def _utc(value: Any) -> datetime | None:
    from ledger.history import utc

    return utc(value)


def load(connection: sa.Connection, key: str, *, lock: bool = False) -> Credential | None:
    query = (
        sa.select(web_credentials)
        .join(operators, operators.c.id == web_credentials.c.operator_id)
        .where(operators.c.name_key == key)
    )
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update(of=web_credentials)
    row = connection.execute(query).first()
    if row is None:
        return None
    return Credential(
        operator_id=int(row.operator_id),
        password_hash=row.password_hash,
        failed_count=int(row.failed_count),
        locked_until=_utc(row.locked_until),
    )


def set_hash(
    connection: sa.Connection, operator_id: int, password_hash: str, *, by: str, now: datetime
) -> None:
    """Insert or replace the operator's hash; a new password also ends a lock-out."""
    values = {
        "password_hash": password_hash,
        "set_by": by,
        "set_at": now,
        "failed_count": 0,
        "locked_until": None,
    }
    updated = connection.execute(
        web_credentials.update()
        .where(web_credentials.c.operator_id == operator_id)
        .values(**values)
    ).rowcount
    if not updated:
        connection.execute(web_credentials.insert().values(operator_id=operator_id, **values))


def record_failure(
    connection: sa.Connection, operator_id: int, *, failed_count: int, locked_until: datetime | None
) -> None:
    connection.execute(
        web_credentials.update()
        .where(web_credentials.c.operator_id == operator_id)
        .values(failed_count=failed_count, locked_until=locked_until)
    )


def reset_failures(connection: sa.Connection, operator_id: int) -> None:
    connection.execute(
        web_credentials.update()
        .where(web_credentials.c.operator_id == operator_id)
        .values(failed_count=0, locked_until=None)
    )
