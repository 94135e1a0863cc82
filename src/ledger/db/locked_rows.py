"""One row read before it is changed: locked on PostgreSQL, refused by name if missing.

On SQLite the unit of work's ``BEGIN IMMEDIATE`` already holds the whole database for
the writer, so only PostgreSQL needs the ``FOR UPDATE``.
"""

from typing import Any

import sqlalchemy as sa

from ledger.errors import LedgerError


def one_row(
    connection: sa.Connection,
    query: sa.Select[Any],
    missing: str,
    *,
    lock: bool = False,
    of: sa.Table | None = None,
) -> sa.Row[Any]:
    """The first row ``query`` selects, ``FOR UPDATE`` (of ``of``) on PostgreSQL with
    ``lock``; ``LedgerError(missing)`` when it selects none."""
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update(of=of)
    row = connection.execute(query).first()
    if row is None:
        raise LedgerError(missing)
    return row
