"""The roster in the database, read: past imports, what one changed, a person's versions."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db.registry_store import distinct
from ledger.db.schema import enrolments, recipients, roster_import_details, roster_imports

ACCOUNT_FIELDS = ("bank", "account_number", "account_holder")


def import_diff(
    connection: sa.Connection,
    import_id: int,
    *,
    versioned: Sequence[str],
    program: str | None = None,
) -> list[dict[str, Any]]:
    """What an import changed, per township of the new versions: added, exited (by the
    file or by absence), amount changes, account changes, other changes (of the other
    ``versioned`` fields)."""
    account_differs = " OR ".join(f"n.{c} <> o.{c}" for c in ACCOUNT_FIELDS)
    other = [c for c in versioned if c not in (*ACCOUNT_FIELDS, "amount_fen", "status")]
    other_differs = " OR ".join(
        distinct(f"n.{c}", f"o.{c}", connection.dialect.name) for c in other
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
