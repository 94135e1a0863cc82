"""A roster import's warnings in the database: all of them, not the first 1,000.

The import keeps every warning as (row, column, message) (``tabular.Problems``:
``all_warnings``) and stores them with the import in one bulk write; ``registry
warnings IMPORT`` reads them.
"""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ledger.db.bulk import copy_rows
from ledger.db.schema import roster_import_warnings, roster_imports
from ledger.errors import LedgerError

WARNING_COLUMNS = ("import_id", "seq", "row_no", "column_name", "message")


def store_warnings(
    connection: sa.Connection, import_id: int, warnings: Iterable[tuple[int, str, str]]
) -> int:
    """Every warning of the import, (row, column, message), stored in sorted order: one
    COPY on PostgreSQL, executemany on SQLite."""
    ordered = sorted(warnings)
    return copy_rows(
        connection,
        "roster_import_warnings",
        WARNING_COLUMNS,
        [
            (import_id, seq, row, column, message)
            for seq, (row, column, message) in enumerate(ordered, 1)
        ],
    )


def import_warnings(connection: sa.Connection, import_id: int) -> list[dict[str, Any]]:
    """The stored warnings of an import (``LedgerError`` if there is no such import)."""
    exists = connection.execute(
        sa.select(roster_imports.c.file_name).where(roster_imports.c.id == import_id)
    ).first()
    if exists is None:
        raise LedgerError(f"no roster import {import_id} (see `ledger registry imports`)")
    rows = connection.execute(
        sa.select(
            roster_import_warnings.c.row_no,
            roster_import_warnings.c.column_name,
            roster_import_warnings.c.message,
        )
        .where(roster_import_warnings.c.import_id == import_id)
        .order_by(roster_import_warnings.c.seq)
    )
    return [
        {"file": exists.file_name, "row": r.row_no, "column": r.column_name, "message": r.message}
        for r in rows
    ]
