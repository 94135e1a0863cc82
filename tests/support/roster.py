"""Arrange roster rows directly (the roster import is another issue's work).

``add_people`` inserts a roster import, recipients and current enrolment versions with
``ledger.db.bulk.executemany``, the way the bench does at 10^6.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ledger.db.bulk import executemany
from ledger.db.events import record_event


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    id_number: str
    township: str = "T01"
    village: str = "V0101"
    program: str = "dibao_rural"
    amount_fen: int = 600_00
    bank: str = "ICBC"
    account_number: str = "6217000000000000001"
    start_month: str = "2026-01"
    end_month: str | None = None
    exit_date: date | None = None
    status: str = "active"
    account_holder: str | None = None
    household_id: str | None = None  # default: a household of one, H{key}
    household_head: bool = False
    institution: str | None = None  # 供养机构: a county.toml [institutions] code


def _timestamp(connection: sa.Connection) -> object:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    if connection.dialect.name == "postgresql":
        return now
    return now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def new_import(connection: sa.Connection, rows: int) -> int:
    next_id = connection.execute(
        sa.text("SELECT COALESCE(MAX(id), 0) + 1 FROM roster_imports")
    ).scalar_one()
    executemany(
        connection,
        "INSERT INTO roster_imports (id, file_name, file_sha256, row_count, operator,"
        " imported_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                next_id,
                f"roster-{next_id}.csv",
                f"{next_id:064d}",
                rows,
                "registrar",
                _timestamp(connection),
            )
        ],
    )
    return int(next_id)


def add_people(connection: sa.Connection, people: list[Person]) -> dict[str, int]:
    """Insert recipients (when new) and a current enrolment each; return key -> id."""
    import_id = new_import(connection, len(people))
    existing = {k: i for k, i in connection.execute(sa.text("SELECT key, id FROM recipients"))}
    start = int(
        connection.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM recipients")).scalar_one()
    )
    new_recipients = []
    ids: dict[str, int] = {}
    for person in people:
        if person.key in existing:
            ids[person.key] = int(existing[person.key])
            continue
        start += 1
        ids[person.key] = start
        existing[person.key] = start
        new_recipients.append(
            (start, person.key, person.id_number, person.name, _timestamp(connection))
        )
    executemany(
        connection,
        "INSERT INTO recipients (id, key, id_number, name, created_at) VALUES (?, ?, ?, ?, ?)",
        new_recipients,
    )
    if connection.dialect.name == "postgresql" and new_recipients:  # ids were given
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('recipients', 'id'), MAX(id)) FROM recipients"
        )
    # A person's earlier current version of the same program is closed by this import.
    for person in people:
        connection.execute(
            sa.text(
                "UPDATE enrolments SET valid_to_import = :imp WHERE recipient_id = :r"
                " AND program = :p AND valid_to_import IS NULL"
            ),
            {"imp": import_id, "r": ids[person.key], "p": person.program},
        )
    executemany(
        connection,
        "INSERT INTO enrolments (recipient_id, program, township, village, household_id,"
        " household_size, amount_fen, bank, account_number, account_holder, start_month,"
        " end_month, exit_date, status, valid_from_import, household_head, institution)"
        " VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                ids[p.key],
                p.program,
                p.township,
                p.village,
                p.household_id or f"H{p.key}",
                p.amount_fen,
                p.bank,
                p.account_number,
                p.account_holder or p.name,
                p.start_month,
                p.end_month,
                None if p.exit_date is None else p.exit_date.isoformat(),
                p.status,
                import_id,
                p.household_head,
                p.institution,
            )
            for p in people
        ],
    )
    # What `ledger registry import` records: the roster's state is on the event chain.
    record_event(
        connection,
        operator="registrar",
        action="roster.imported",
        subject_type="roster_import",
        subject_id=import_id,
    )
    return ids
