"""The roster in the database: importing a file as new enrolment versions, and history.

An import streams the file's validated rows into a temporary staging table, runs the
checks that span rows there (duplicates, one ID with two names, programs that exclude
each other), and then applies the changes with set-based SQL, never a query per row:

1. recipients seen for the first time get a key (R + 7 digits, in file order);
2. every row is compared with the person's current version for that program: added,
   exited (the file says 退出), changed (any other stored field differs) or unchanged;
3. current versions in the import's scope (its programs; all townships, or with
   ``partial`` only the townships in the file) whose person is absent from the file
   are exited: status exited, end month = the month before the roster month;
4. changed and absent versions are closed (``valid_to_import`` = this import) and the
   new versions inserted (``valid_from_import`` = this import).

Nothing is overwritten; nothing here commits (the caller's unit of work does, or rolls
back for a dry run).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ledger import roster
from ledger.county import County
from ledger.db.bulk import copy_rows
from ledger.db.roster_warnings import store_warnings
from ledger.db.schema import enrolments, recipients, roster_import_details, roster_imports
from ledger.db.schema.base import Timestamp
from ledger.errors import AlreadyImported, LedgerError
from ledger.operators import os_login
from ledger.tabular import Problems, Table

STAGING = "roster_staging"
MULTI = "roster_multi"
MATCH = "roster_match"
ABSENT = "roster_absent"
NEW = "roster_new"
TEMPORARY = (ABSENT, MATCH, NEW, MULTI, STAGING)

ACCOUNT_FIELDS = ("bank", "account_number", "account_holder")


@dataclass
class ImportResult:
    import_id: int
    row_count: int
    added: int
    changed: int
    exited: int
    unchanged: int
    warning_count: int
    warnings: list[str]
    townships: list[dict[str, Any]] = field(default_factory=list)


def previous_import_of(connection: sa.Connection, sha256: str) -> sa.Row | None:
    return connection.execute(
        sa.select(roster_imports.c.id, roster_imports.c.imported_at).where(
            roster_imports.c.file_sha256 == sha256
        )
    ).first()


def import_roster(
    connection: sa.Connection,
    table: Table,
    county: County,
    *,
    file_name: str,
    file_sha256: str,
    operator: str,
    roster_month: str,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    read_ahead: bool | None = None,
) -> ImportResult:
    """Validate and apply a roster file; raise ``ValidationError`` (nothing written)
    listing every problem if any row is wrong, ``AlreadyImported`` for a file (same
    SHA-256) imported before. ``now`` is the recorded import time
    (default: the clock), which the findings rules compare with pay dates.
    ``read_ahead``: see ``roster.validated_chunks`` (default: by the file's size)."""
    earlier = previous_import_of(connection, file_sha256)
    if earlier is not None:
        raise AlreadyImported(
            f"{file_name}: already imported: this exact file is roster import {earlier.id} "
            f"({earlier.imported_at:%Y-%m-%d %H:%M}); nothing changed",
            int(earlier.id),
        )
    problems = Problems(file_name)
    if connection.dialect.name == "sqlite":
        # A roster touches every index of recipients and enrolments, and the staging
        # tables live in the temporary database, which has its own cache: with SQLite's
        # default 2 MB caches both thrash. 256 MB + 128 MB for this connection.
        connection.exec_driver_sql("PRAGMA main.cache_size = -262144")
        connection.exec_driver_sql("PRAGMA temp.cache_size = -131072")
    _create_staging(connection)
    row_count = 0
    program_set: set[str] = set()
    township_set: set[str] = set()
    for normalised in roster.validated_chunks(table, county, problems, read_ahead=read_ahead):
        copy_rows(connection, STAGING, roster.STAGED, _tuples(normalised))
        row_count += len(normalised)
        program_set.update(normalised["program"].dropna().unique())
        township_set.update(normalised["township"].dropna().unique())
        if progress is not None:
            progress(len(normalised))
    if row_count == 0:
        raise LedgerError(f"{file_name}: the file has a header but no rows; nothing was changed")
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ALTER TABLE {STAGING} ADD PRIMARY KEY (row_no)")
    # With row_no as the key (SQLite: the rowid) this index covers every check below.
    connection.exec_driver_sql(f"CREATE INDEX {STAGING}_ip ON {STAGING} (id_number, program)")
    if connection.dialect.name == "postgresql":
        # Autovacuum never analyses temporary tables: without statistics the planner
        # guesses a few rows and picks nested loops over 10^6.
        connection.exec_driver_sql(f"ANALYZE {STAGING}")
    programs = sorted(program_set)
    townships = sorted(township_set) if partial else None
    _check_across_rows(connection, county, table.labels, problems, programs)
    problems.raise_if_errors("the roster import was")

    now = now or datetime.now(UTC)
    import_id = int(
        connection.execute(
            roster_imports.insert()
            .values(
                file_name=file_name[:255],
                file_sha256=file_sha256,
                row_count=row_count,
                operator=operator,
                imported_at=now,
                db_login=os_login(),
            )
            .returning(roster_imports.c.id)
        ).scalar_one()
    )
    counts = _apply(
        connection,
        import_id,
        now,
        roster_month,
        programs,
        townships,
        problems,
        table.labels["name"],
    )
    connection.execute(
        roster_import_details.insert().values(
            import_id=import_id,
            roster_month=roster_month,
            programs=",".join(programs),
            townships=None if townships is None else ",".join(townships),
            encoding=table.encoding,
            warning_count=problems.warning_count,
            **{f"{k}_count": v for k, v in counts.items()},
        )
    )
    store_warnings(connection, import_id, problems)
    for name in TEMPORARY:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    return ImportResult(
        import_id=import_id,
        row_count=row_count,
        warning_count=problems.warning_count,
        warnings=problems.grouped_warning_lines(),
        townships=import_diff(connection, import_id),
        **counts,
    )


def _tuples(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    columns = []
    for name in roster.STAGED:
        series = frame[name]
        if series.dtype == object:
            columns.append(series.tolist())
        else:
            columns.append(series.astype(object).where(series.notna(), None).tolist())
    return list(zip(*columns, strict=True))


def _create_staging(connection: sa.Connection) -> None:
    for name in TEMPORARY:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
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
            exit_date DATE, status VARCHAR(16), household_head BOOLEAN)"""
    )


def _check_across_rows(
    connection: sa.Connection,
    county: County,
    labels: dict[str, str],
    problems: Problems,
    programs: list[str],
) -> None:
    """Duplicate ID + program, one ID with two names, programs that exclude each other.

    Only IDs on more than one row (a few: people in two programs) can fail the checks
    within the file, so they are collected first and the checks look at their rows only.
    """
    id_label, program_label, name_label = labels["id_number"], labels["program"], labels["name"]
    connection.exec_driver_sql(
        f"""CREATE TEMPORARY TABLE {MULTI} AS SELECT id_number FROM {STAGING}
            WHERE id_number IS NOT NULL GROUP BY id_number HAVING COUNT(*) > 1"""
    )
    connection.exec_driver_sql(f"CREATE UNIQUE INDEX {MULTI}_id ON {MULTI} (id_number)")
    in_multi = f"id_number IN (SELECT id_number FROM {MULTI})"
    duplicates = connection.exec_driver_sql(
        f"""SELECT s.row_no, f.first_row FROM {STAGING} s
            JOIN (SELECT id_number, program, MIN(row_no) AS first_row FROM {STAGING}
                  WHERE {in_multi} AND program IS NOT NULL
                  GROUP BY id_number, program HAVING COUNT(*) > 1) f
              ON f.id_number = s.id_number AND f.program = s.program
            WHERE s.row_no > f.first_row ORDER BY s.row_no"""
    )
    for row_no, first in duplicates:
        problems.add(
            row_no, id_label, f"the same ID and {program_label} as row {first} (duplicate row)"
        )
    two_names = connection.exec_driver_sql(
        f"""SELECT s.row_no, f.first_row FROM {STAGING} s
            JOIN (SELECT id_number, MIN(row_no) AS first_row FROM {STAGING}
                  WHERE {in_multi} AND name IS NOT NULL
                  GROUP BY id_number HAVING COUNT(DISTINCT name) > 1) f
              ON f.id_number = s.id_number
            JOIN {STAGING} first ON first.row_no = f.first_row
            WHERE s.row_no > f.first_row AND s.name <> first.name ORDER BY s.row_no"""
    )
    for row_no, first in two_names:
        problems.add(row_no, name_label, f"the same ID has another name in row {first}")
    _check_exclusions(connection, county, labels, problems, programs)


def _check_exclusions(
    connection: sa.Connection,
    county: County,
    labels: dict[str, str],
    problems: Problems,
    programs: list[str],
) -> None:
    """Programs that exclude each other (低保 and 特困...) for one person: a warning, in
    the file or against current enrolments in programs the file does not cover."""
    excluded = {(p.code, other) for p in county.programs.values() for other in p.excludes}
    excluded |= {(b, a) for a, b in excluded}
    if not excluded:
        return
    label = labels["program"]
    in_file = connection.exec_driver_sql(
        f"""SELECT s.row_no, s.program, o.program, o.row_no FROM {STAGING} s
            JOIN {STAGING} o ON o.id_number = s.id_number AND o.row_no < s.row_no
            WHERE s.id_number IN (SELECT id_number FROM {MULTI}) AND s.program <> o.program
            ORDER BY s.row_no"""
    )
    for row_no, program, other, other_row in in_file:
        if (program, other) in excluded:
            problems.add(
                row_no,
                label,
                f"{program} excludes {other}, which this person also has in row {other_row}",
                warning=True,
            )
    # Only enrolments in programs outside the file that exclude one inside it matter.
    others = sorted({b for a, b in excluded if a in programs and b not in programs})
    if not others:
        return
    in_db = connection.execute(
        sa.text(
            f"""SELECT s.row_no, s.program, e.program FROM enrolments e
            JOIN recipients r ON r.id = e.recipient_id
            JOIN {STAGING} s ON s.id_number = r.id_number
            WHERE e.program IN :others AND e.valid_to_import IS NULL
              AND e.status <> 'exited'
            ORDER BY s.row_no"""
        ).bindparams(sa.bindparam("others", expanding=True)),
        {"others": others},
    )
    for row_no, program, other in in_db:
        if (program, other) in excluded:
            problems.add(
                row_no,
                label,
                f"{program} excludes {other}, in which this person is enrolled",
                warning=True,
            )


def _distinct(left: str, right: str, dialect: str) -> str:
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


def _apply(
    connection: sa.Connection,
    import_id: int,
    now: datetime,
    roster_month: str,
    programs: list[str],
    townships: list[str] | None,
    problems: Problems,
    name_label: str,
) -> dict[str, int]:
    dialect = connection.dialect.name
    integer = "BIGINT" if dialect == "postgresql" else "INTEGER"
    base = connection.exec_driver_sql(
        f"SELECT COALESCE(MAX(CAST(SUBSTR(key, 2) AS {integer})), 0) FROM recipients"
    ).scalar_one()
    # New people: the first row of each ID not registered yet, numbered in file order.
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
    differs = " OR ".join(_distinct(f"s.{c}", f"e.{c}", dialect) for c in roster.VERSIONED)
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
    # People registered earlier under another name (new people were registered above
    # with the name of their first row, and two names in the file is an error).
    renamed = connection.exec_driver_sql(
        f"SELECT row_no FROM {MATCH} WHERE renamed = 1 ORDER BY row_no"
    )
    problems.add_rows(
        [r[0] for r in renamed],
        name_label,
        "differs from the name registered for this ID (the registered name is kept)",
        warning=True,
    )
    connection.exec_driver_sql(f"CREATE INDEX {MATCH}_old ON {MATCH} (old_id)")
    if dialect == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {MATCH}")
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
    columns = ", ".join(roster.VERSIONED)
    staged = ", ".join("s." + c for c in roster.VERSIONED)
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
        for c in roster.VERSIONED
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
    return counts


def _month_before(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def import_diff(
    connection: sa.Connection, import_id: int, *, program: str | None = None
) -> list[dict[str, Any]]:
    """What an import changed, per township of the new versions: added, exited (by the
    file or by absence), amount changes, account changes, other changes."""
    account_differs = " OR ".join(f"n.{c} <> o.{c}" for c in ACCOUNT_FIELDS)
    other = [c for c in roster.VERSIONED if c not in (*ACCOUNT_FIELDS, "amount_fen", "status")]
    other_differs = " OR ".join(
        _distinct(f"n.{c}", f"o.{c}", connection.dialect.name) for c in other
    )
    program_filter = "AND n.program = :program" if program else ""
    query = sa.text(
        f"""SELECT n.township AS township,
          SUM(CASE WHEN o.id IS NULL THEN 1 ELSE 0 END) AS added,
          SUM(CASE WHEN o.id IS NOT NULL AND n.status = 'exited' AND o.status <> 'exited'
                   THEN 1 ELSE 0 END) AS exited,
          SUM(CASE WHEN o.id IS NOT NULL AND n.amount_fen <> o.amount_fen
                   THEN 1 ELSE 0 END) AS amount_changes,
          SUM(CASE WHEN o.id IS NOT NULL AND ({account_differs}) THEN 1 ELSE 0 END)
              AS account_changes,
          SUM(CASE WHEN o.id IS NOT NULL AND (({other_differs}) OR n.status <> o.status)
                   AND NOT (n.status = 'exited' AND o.status <> 'exited')
                   THEN 1 ELSE 0 END) AS other_changes,
          SUM(CASE WHEN n.status = 'active' THEN n.amount_fen ELSE 0 END
              - CASE WHEN o.status = 'active' THEN o.amount_fen ELSE 0 END)
              AS active_amount_delta_fen
        FROM enrolments n
        LEFT JOIN enrolments o ON o.recipient_id = n.recipient_id AND o.program = n.program
                              AND +o.valid_to_import = n.valid_from_import
        WHERE n.valid_from_import = :import_id {program_filter}
        GROUP BY n.township ORDER BY n.township"""
    )
    params: dict[str, Any] = {"import_id": import_id}
    if program:
        params["program"] = program
    return [
        {key: (int(value) if key != "township" else value) for key, value in row._mapping.items()}
        for row in connection.execute(query, params)
    ]


def list_imports(connection: sa.Connection) -> list[dict[str, Any]]:
    rows = connection.execute(
        sa.select(
            roster_imports,
            roster_import_details.c.roster_month,
            roster_import_details.c.programs,
            roster_import_details.c.townships,
            roster_import_details.c.added_count,
            roster_import_details.c.changed_count,
            roster_import_details.c.exited_count,
            roster_import_details.c.unchanged_count,
            roster_import_details.c.warning_count,
        )
        .outerjoin(roster_import_details, roster_import_details.c.import_id == roster_imports.c.id)
        .order_by(roster_imports.c.id)
    )
    return [dict(row._mapping) for row in rows]


def latest_import_id(connection: sa.Connection) -> int | None:
    value = connection.execute(sa.select(sa.func.max(roster_imports.c.id))).scalar()
    return None if value is None else int(value)


def find_recipient(connection: sa.Connection, who: str) -> sa.Row | None:
    """A recipient by ID number (either case of X) or by key (R0000001)."""
    who = who.strip().upper()
    column = recipients.c.key if who.startswith("R") else recipients.c.id_number
    return connection.execute(sa.select(recipients).where(column == who)).first()


def history(connection: sa.Connection, recipient_id: int) -> list[dict[str, Any]]:
    """Every version of every enrolment of a person, oldest first per program, with the
    import (date, operator, file, roster month) that created it."""
    rows = connection.execute(
        sa.select(
            enrolments,
            roster_imports.c.imported_at,
            roster_imports.c.operator,
            roster_imports.c.file_name,
            roster_import_details.c.roster_month,
        )
        .join(roster_imports, roster_imports.c.id == enrolments.c.valid_from_import)
        .outerjoin(roster_import_details, roster_import_details.c.import_id == roster_imports.c.id)
        .where(enrolments.c.recipient_id == recipient_id)
        .order_by(enrolments.c.program, enrolments.c.valid_from_import)
    )
    return [dict(row._mapping) for row in rows]
