"""The roster import's SQL: staging, the lookups across rows, the set-based apply.

``ledger.registry_import`` runs an import through these steps; nothing here validates
a cell, adds a problem or commits. The rows of the file go into a temporary staging
table, the checks that span rows are queries over it (``registry_checks``: their rows
are returned), and the changes are applied with set-based SQL, never a query per row:

1. recipients seen for the first time get a key (R + 7 digits, in file order);
2. every row is compared with the person's current version for that program: added,
   exited (the file says 退出), changed (any other stored field differs) or unchanged;
3. current versions in the import's scope (its programs; all townships, or with
   ``partial`` only the townships in the file) whose person is absent from the file
   are exited: status exited, end month = the month before the roster month;
4. changed and absent versions are closed (``valid_to_import`` = this import) and the
   new versions inserted (``valid_from_import`` = this import).

Nothing is overwritten. The enrolment fields compared and stored (``versioned``) are
the caller's (``ledger.roster.VERSIONED``). The reads of past imports are in
``ledger.db.registry_queries``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.db import kept_totals
from ledger.db.bulk import copy_rows
from ledger.db.schema import roster_import_details, roster_imports
from ledger.db.schema.base import Timestamp
from ledger.operators import os_login

STAGING = "roster_staging"
MULTI = "roster_multi"
MATCH = "roster_match"
ABSENT = "roster_absent"
NEW = "roster_new"
TEMPORARY = (ABSENT, MATCH, NEW, MULTI, STAGING)


@dataclass(frozen=True)
class Applied:
    """What ``apply`` changed: rows per change (added, changed, exited, unchanged) and
    the file rows of people registered earlier under another name."""

    counts: dict[str, int]
    renamed_rows: list[int]


def previous_import_of(connection: sa.Connection, sha256: str) -> sa.Row | None:
    return connection.execute(
        sa.select(roster_imports.c.id, roster_imports.c.imported_at).where(
            roster_imports.c.file_sha256 == sha256
        )
    ).first()


def create_staging(connection: sa.Connection) -> None:
    """An empty staging table (the temporary tables of an earlier import dropped)."""
    if connection.dialect.name == "sqlite":
        # A roster touches every index of recipients and enrolments, and the staging
        # tables live in the temporary database, which has its own cache: with SQLite's
        # default 2 MB caches both thrash. 256 MB + 128 MB for this connection.
        connection.exec_driver_sql("PRAGMA main.cache_size = -262144")
        connection.exec_driver_sql("PRAGMA temp.cache_size = -131072")
    drop_staging(connection)
    # SQLite: row_no is the rowid (no separate index to maintain). PostgreSQL: the key
    # is added after COPY, which is faster than maintaining it row by row.
    row_no = "INTEGER PRIMARY KEY" if connection.dialect.name == "sqlite" else "INTEGER NOT NULL"
    connection.exec_driver_sql(
        f"""CREATE TEMPORARY TABLE {STAGING} (
            row_no {row_no}, id_number VARCHAR(18), name VARCHAR(200),
            sex VARCHAR(1), birth_date DATE, program VARCHAR(32), township VARCHAR(32),
            village VARCHAR(32), household_id VARCHAR(200), household_size INTEGER,
            amount_fen BIGINT, bank VARCHAR(32), account_number VARCHAR(40),
            account_holder VARCHAR(200), start_month VARCHAR(7), end_month VARCHAR(7),
            exit_date DATE, status VARCHAR(16), household_head BOOLEAN,
            institution VARCHAR(32))"""
    )


def stage_rows(
    connection: sa.Connection, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Normalised rows (values in ``columns`` order) into the staging table."""
    copy_rows(connection, STAGING, tuple(columns), rows)


def index_staging(connection: sa.Connection) -> None:
    """The staging table's key and index, once every row is in; the ID numbers on more
    than one row (``MULTI``: a few, people in two programs)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ALTER TABLE {STAGING} ADD PRIMARY KEY (row_no)")
    # With row_no as the key (SQLite: the rowid) this index covers every check below.
    connection.exec_driver_sql(f"CREATE INDEX {STAGING}_ip ON {STAGING} (id_number, program)")
    if connection.dialect.name == "postgresql":
        # Autovacuum never analyses temporary tables: without statistics the planner
        # guesses a few rows and picks nested loops over 10^6.
        connection.exec_driver_sql(f"ANALYZE {STAGING}")
    connection.exec_driver_sql(
        f"""CREATE TEMPORARY TABLE {MULTI} AS SELECT id_number FROM {STAGING}
            WHERE id_number IS NOT NULL GROUP BY id_number HAVING COUNT(*) > 1"""
    )
    connection.exec_driver_sql(f"CREATE UNIQUE INDEX {MULTI}_id ON {MULTI} (id_number)")


def drop_staging(connection: sa.Connection) -> None:
    for name in TEMPORARY:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def insert_import(
    connection: sa.Connection,
    *,
    file_name: str,
    file_sha256: str,
    row_count: int,
    operator: str,
    imported_at: datetime,
) -> int:
    return int(
        connection.execute(
            roster_imports.insert()
            .values(
                file_name=file_name[:255],
                file_sha256=file_sha256,
                row_count=row_count,
                operator=operator,
                imported_at=imported_at,
                db_login=os_login(),
            )
            .returning(roster_imports.c.id)
        ).scalar_one()
    )


def insert_details(connection: sa.Connection, import_id: int, **values: Any) -> None:
    """The import's month, scope, encoding and counts (``roster_import_details``)."""
    connection.execute(roster_import_details.insert().values(import_id=import_id, **values))


def distinct(left: str, right: str, dialect: str) -> str:
    """NULL-safe "differs"."""
    if dialect == "postgresql":
        return f"{left} IS DISTINCT FROM {right}"
    return f"{left} IS NOT {right}"


def _key_expression(number: str, dialect: str) -> str:
    """'R' and at least 7 digits: R0000001."""
    if dialect == "postgresql":
        return (
            f"'R' || CASE WHEN ({number}) < 10000000 THEN lpad(({number})::text, 7, '0') "
            f"ELSE ({number})::text END"
        )
    return f"'R' || printf('%07d', {number})"


def apply(
    connection: sa.Connection,
    import_id: int,
    now: datetime,
    roster_month: str,
    programs: list[str],
    townships: list[str] | None,
    versioned: Sequence[str],
) -> Applied:
    """Steps 1-4 of the module docstring for the staged rows."""
    _register_new_people(connection, now)
    renamed = _match(connection, versioned)
    scope = {"programs": programs}
    township_filter = ""
    if townships is not None:
        scope["townships"] = townships
        township_filter = "AND e.township IN :townships"
    # Current versions in scope that no row of the file matched.
    absent_select = sa.text(
        f"""CREATE TEMPORARY TABLE {ABSENT} AS
        SELECT e.id AS old_id FROM enrolments e
        WHERE e.valid_to_import IS NULL AND e.status <> 'exited'
          AND e.program IN :programs {township_filter}
          AND NOT EXISTS (SELECT 1 FROM {MATCH} m WHERE m.old_id = e.id)"""
    ).bindparams(sa.bindparam("programs", expanding=True))
    if townships is not None:
        absent_select = absent_select.bindparams(sa.bindparam("townships", expanding=True))
    connection.execute(absent_select, scope)

    for closed in (
        f"SELECT old_id FROM {MATCH} WHERE change IN ('changed', 'exited')",
        f"SELECT old_id FROM {ABSENT}",
    ):
        connection.exec_driver_sql(
            f"UPDATE enrolments SET valid_to_import = {import_id} WHERE id IN ({closed})"
        )
    columns = ", ".join(versioned)
    staged = ", ".join("s." + c for c in versioned)
    connection.exec_driver_sql(
        f"""INSERT INTO enrolments (recipient_id, program, {columns}, valid_from_import)
        SELECT m.recipient_id, s.program, {staged}, {import_id}
        FROM {STAGING} s JOIN {MATCH} m ON m.row_no = s.row_no
        WHERE m.change IN ('added', 'changed', 'exited') ORDER BY s.row_no"""
    )
    last_month = _month_before(roster_month)
    exited_values = [
        "'exited'"
        if c == "status"
        else f"CASE WHEN e.end_month IS NOT NULL AND e.end_month < '{last_month}' "
        f"THEN e.end_month ELSE '{last_month}' END"
        if c == "end_month"
        else f"e.{c}"
        for c in versioned
    ]
    connection.exec_driver_sql(
        f"""INSERT INTO enrolments (recipient_id, program, {columns}, valid_from_import)
        SELECT e.recipient_id, e.program, {", ".join(exited_values)}, {import_id}
        FROM enrolments e WHERE e.id IN (SELECT old_id FROM {ABSENT}) ORDER BY e.id"""
    )
    counts = {"added": 0, "changed": 0, "exited": 0, "unchanged": 0}
    for change, count in connection.exec_driver_sql(
        f"SELECT change, COUNT(*) FROM {MATCH} GROUP BY change"
    ):
        counts[change] = int(count)
    counts["exited"] += int(
        connection.exec_driver_sql(f"SELECT COUNT(*) FROM {ABSENT}").scalar_one()
    )
    # The payables' township roll-up follows today's enrolments (one INSERT ... SELECT).
    kept_totals.rebuild_rollups(connection)
    return Applied(counts, renamed)


def _register_new_people(connection: sa.Connection, now: datetime) -> None:
    """Step 1: the first row of each ID not registered yet, numbered in file order."""
    dialect = connection.dialect.name
    integer = "BIGINT" if dialect == "postgresql" else "INTEGER"
    base = connection.exec_driver_sql(
        f"SELECT COALESCE(MAX(CAST(SUBSTR(key, 2) AS {integer})), 0) FROM recipients"
    ).scalar_one()
    first_unregistered = f"""(s.id_number NOT IN (SELECT id_number FROM {MULTI})
                   OR s.row_no = (SELECT MIN(o.row_no) FROM {STAGING} o
                                  WHERE o.id_number = s.id_number))
              AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.id_number = s.id_number)"""
    if dialect == "sqlite":
        # ROW_NUMBER() over 10^6 rows costs SQLite a sort (about 1 s); the rowids of a
        # table filled in file order number the new people for free.
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {NEW} (n INTEGER PRIMARY KEY, row_no INTEGER NOT NULL)"
        )
        connection.exec_driver_sql(
            f"""INSERT INTO {NEW} (row_no) SELECT s.row_no FROM {STAGING} s
            WHERE {first_unregistered} ORDER BY s.row_no"""
        )
        number = f"{int(base)} + n.n"
        source = f"{NEW} n JOIN {STAGING} s ON s.row_no = n.row_no ORDER BY n.n"
    else:
        number = f"{int(base)} + ROW_NUMBER() OVER (ORDER BY s.row_no)"
        source = f"{STAGING} s WHERE {first_unregistered} ORDER BY s.row_no"
    connection.execute(
        sa.text(
            f"""INSERT INTO recipients (key, id_number, name, sex, birth_date, created_at)
            SELECT {_key_expression(number, dialect)}, s.id_number, s.name, s.sex,
                   s.birth_date, :now
            FROM {source}"""
        ).bindparams(sa.bindparam("now", type_=Timestamp)),
        {"now": now},
    )
    if dialect == "postgresql":
        # Statistics from before this import (or none, for a new database) make the
        # planner loop over every enrolment of a program for each row.
        connection.exec_driver_sql("ANALYZE recipients")
        connection.exec_driver_sql("ANALYZE enrolments")


def _match(connection: sa.Connection, versioned: Sequence[str]) -> list[int]:
    """Step 2: each staged row against its person's current version (``MATCH``); the
    rows of people registered earlier under another name (new people were registered
    with the name of their first row, and two names in the file is an error)."""
    dialect = connection.dialect.name
    differs = " OR ".join(distinct(f"s.{c}", f"e.{c}", dialect) for c in versioned)
    # row_no is the key (SQLite: the rowid), so joining it back to the staging rows
    # in file order needs no sort.
    connection.exec_driver_sql(
        f"""CREATE TEMPORARY TABLE {MATCH} (
            row_no INTEGER PRIMARY KEY, recipient_id BIGINT NOT NULL, program VARCHAR(32),
            old_id BIGINT, change VARCHAR(16) NOT NULL, renamed INTEGER NOT NULL)"""
    )
    connection.exec_driver_sql(
        f"""INSERT INTO {MATCH} (row_no, recipient_id, program, old_id, change, renamed)
        SELECT s.row_no, r.id, s.program, e.id,
               CASE WHEN e.id IS NULL THEN 'added'
                    WHEN s.status = 'exited' AND e.status <> 'exited' THEN 'exited'
                    WHEN {differs} THEN 'changed' ELSE 'unchanged' END,
               CASE WHEN s.name <> r.name THEN 1 ELSE 0 END
        FROM {STAGING} s
        JOIN recipients r ON r.id_number = s.id_number
        LEFT JOIN enrolments e ON e.recipient_id = r.id AND e.program = s.program
                              AND e.valid_to_import IS NULL"""
    )
    renamed = [
        int(r[0])
        for r in connection.exec_driver_sql(
            f"SELECT row_no FROM {MATCH} WHERE renamed = 1 ORDER BY row_no"
        )
    ]
    connection.exec_driver_sql(f"CREATE INDEX {MATCH}_old ON {MATCH} (old_id)")
    if dialect == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {MATCH}")
    return renamed


def _month_before(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
