"""Reference lists in the database: import a validated list, count what is current."""

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ledger.db.bulk import copy_rows
from ledger.db.schema import (
    ref_businesses,
    ref_cadre_relatives,
    ref_deaths,
    ref_property,
    ref_provident_fund,
    ref_staff,
    ref_vehicles,
    refdata_imports,
)
from ledger.errors import AlreadyImported
from ledger.operators import os_login

# The snapshot lists stored one file row per table row: kind -> table (the columns are
# the table's, less its id and import id).
SNAPSHOT_TABLES: dict[str, sa.Table] = {
    "cadres": ref_cadre_relatives,
    "vehicles": ref_vehicles,
    "property": ref_property,
    "business": ref_businesses,
    "provident_fund": ref_provident_fund,
}
KINDS = ("deaths", "staff", *SNAPSHOT_TABLES)


def previous_import_of(connection: sa.Connection, kind: str, sha256: str) -> sa.Row | None:
    return connection.execute(
        sa.select(refdata_imports.c.id, refdata_imports.c.imported_at).where(
            refdata_imports.c.kind == kind, refdata_imports.c.file_sha256 == sha256
        )
    ).first()


def store(
    connection: sa.Connection,
    kind: str,
    rows: pd.DataFrame,
    *,
    file_name: str,
    file_sha256: str,
    operator: str,
) -> int:
    """Write a validated list as a new import of ``kind``; return the import id.
    ``AlreadyImported`` for a file (same SHA-256 and kind) imported before."""
    earlier = previous_import_of(connection, kind, file_sha256)
    if earlier is not None:
        raise AlreadyImported(
            f"{file_name}: already imported: this exact file is {kind} import {earlier.id} "
            f"({earlier.imported_at:%Y-%m-%d %H:%M}); nothing changed",
            int(earlier.id),
        )
    import_id = int(
        connection.execute(
            refdata_imports.insert()
            .values(
                kind=kind,
                file_name=file_name[:255],
                file_sha256=file_sha256,
                row_count=len(rows),
                operator=operator,
                imported_at=datetime.now(UTC),
                db_login=os_login(),
            )
            .returning(refdata_imports.c.id)
        ).scalar_one()
    )
    ids = [import_id] * len(rows)
    columns: tuple[str, ...]
    if kind == "deaths":
        columns = ("row_no", "id_number", "name", "death_date", "source")
        copy_rows(connection, "ref_deaths", ("import_id", *columns), _rows(ids, rows, columns))
    elif kind == "staff":
        columns = ("row_no", "id_number", "name", "employer", "category")
        copy_rows(connection, "ref_staff", ("import_id", *columns), _rows(ids, rows, columns))
        accounts = rows[["id_number", "account_numbers"]].explode("account_numbers").dropna()
        copy_rows(
            connection,
            "ref_staff_accounts",
            ("import_id", "id_number", "account_number"),
            [
                (import_id, i, a)
                for i, a in zip(accounts["id_number"], accounts["account_numbers"], strict=True)
            ],
        )
    else:
        table = SNAPSHOT_TABLES[kind]
        columns = tuple(c.name for c in table.columns if c.name not in ("id", "import_id"))
        copy_rows(connection, table.name, ("import_id", *columns), _rows(ids, rows, columns))
    return import_id


def _rows(ids: list[int], frame: pd.DataFrame, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The rows to store; a column the frame lacks (an optional one) is NULL."""
    values: list[list[Any]] = []
    for name in columns:
        series = frame[name] if name in frame else pd.Series([None] * len(frame), dtype=object)
        if series.dtype.kind == "f":
            raise TypeError(f"{name}: a float column; amounts and counts are int (or None)")
        if series.dtype == bool:
            values.append([bool(v) for v in series])
        elif series.dtype.kind in "iu":
            values.append([int(v) for v in series])
        else:
            as_object = series.astype(object)
            column = as_object.where(series.notna(), None).tolist()
            if any(isinstance(v, float) for v in column):
                raise TypeError(f"{name}: a float value; amounts and counts are int (or None)")
            values.append(column)
    return list(zip(ids, *values, strict=True))


def status(connection: sa.Connection) -> list[dict[str, Any]]:
    """Per kind: imports, the latest, and the rows currently in force."""
    out = []
    for kind in KINDS:
        imports = connection.execute(
            sa.select(
                sa.func.count(),
                sa.func.max(refdata_imports.c.id),
            ).where(refdata_imports.c.kind == kind)
        ).one()
        latest = imports[1]
        latest_row = (
            connection.execute(
                sa.select(refdata_imports).where(refdata_imports.c.id == latest)
            ).first()
            if latest is not None
            else None
        )
        if kind == "deaths":
            current = connection.execute(
                sa.select(sa.func.count(sa.distinct(ref_deaths.c.id_number)))
            ).scalar_one()
        elif kind == "staff":
            current = connection.execute(
                sa.select(sa.func.count()).where(ref_staff.c.import_id == latest)
            ).scalar_one()
        else:
            table = SNAPSHOT_TABLES[kind]
            current = connection.execute(
                sa.select(sa.func.count()).where(table.c.import_id == latest)
            ).scalar_one()
        out.append(
            {
                "kind": kind,
                "imports": int(imports[0]),
                "latest_import": latest,
                "latest_file": latest_row.file_name if latest_row else None,
                "latest_at": f"{latest_row.imported_at:%Y-%m-%d %H:%M}" if latest_row else None,
                "current_rows": int(current),
                "rule": "cumulative" if kind == "deaths" else "latest import",
            }
        )
    return out
