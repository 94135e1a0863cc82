"""The roster import's checks across rows: queries over the staged rows.

``registry_store`` stages the file's rows (``STAGING``, and ``MULTI``: the ID numbers
on more than one row); each check here returns the rows it finds, for
``ledger.registry_import`` to name as problems. Nothing here writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from ledger.db.registry_store import MULTI, STAGING

# The checks across rows look at the rows of IDs on more than one row only.
_IN_MULTI = f"id_number IN (SELECT id_number FROM {MULTI})"


def duplicate_rows(connection: sa.Connection) -> list[tuple[int, int]]:
    """(row, first row) of every row with the ID and program of an earlier row."""
    return [
        (int(row_no), int(first))
        for row_no, first in connection.exec_driver_sql(
            f"""SELECT s.row_no, f.first_row FROM {STAGING} s
            JOIN (SELECT id_number, program, MIN(row_no) AS first_row FROM {STAGING}
                  WHERE {_IN_MULTI} AND program IS NOT NULL
                  GROUP BY id_number, program HAVING COUNT(*) > 1) f
              ON f.id_number = s.id_number AND f.program = s.program
            WHERE s.row_no > f.first_row ORDER BY s.row_no"""
        )
    ]


def renamed_in_file(connection: sa.Connection) -> list[tuple[int, int]]:
    """(row, first row) of every row whose ID has another name on its first row."""
    return [
        (int(row_no), int(first))
        for row_no, first in connection.exec_driver_sql(
            f"""SELECT s.row_no, f.first_row FROM {STAGING} s
            JOIN (SELECT id_number, MIN(row_no) AS first_row FROM {STAGING}
                  WHERE {_IN_MULTI} AND name IS NOT NULL
                  GROUP BY id_number HAVING COUNT(DISTINCT name) > 1) f
              ON f.id_number = s.id_number
            JOIN {STAGING} first ON first.row_no = f.first_row
            WHERE s.row_no > f.first_row AND s.name <> first.name ORDER BY s.row_no"""
        )
    ]


def programs_in_file(connection: sa.Connection) -> list[tuple[int, str, str, int]]:
    """(row, program, other program, other row) for one ID in two programs, the other
    on an earlier row."""
    return [
        (int(row_no), program, other, int(other_row))
        for row_no, program, other, other_row in connection.exec_driver_sql(
            f"""SELECT s.row_no, s.program, o.program, o.row_no FROM {STAGING} s
            JOIN {STAGING} o ON o.id_number = s.id_number AND o.row_no < s.row_no
            WHERE s.{_IN_MULTI} AND s.program <> o.program
            ORDER BY s.row_no"""
        )
    ]


def current_enrolments_in(
    connection: sa.Connection, programs: Sequence[str]
) -> list[tuple[int, str, str]]:
    """(row, program of the row, program) for every row whose person is currently
    enrolled (not exited) in one of ``programs``."""
    result = connection.execute(
        sa.text(
            f"""SELECT s.row_no, s.program, e.program FROM enrolments e
            JOIN recipients r ON r.id = e.recipient_id
            JOIN {STAGING} s ON s.id_number = r.id_number
            WHERE e.program IN :others AND e.valid_to_import IS NULL
              AND e.status <> 'exited'
            ORDER BY s.row_no"""
        ).bindparams(sa.bindparam("others", expanding=True)),
        {"others": list(programs)},
    )
    return [(int(row_no), program, other) for row_no, program, other in result]


def backpay_beyond_window(
    connection: sa.Connection, window_start: str
) -> list[tuple[int, str, str, int]]:
    """(row, program, first month, months) of the staged rows whose enrolment would be
    owed back pay (补发) for months before ``window_start``: a person new in the program
    (no enrolment of it yet), whose start month is before months the ledger already ran
    for the program (a regular batch, not voided), before ``window_start``, and not after
    the row's end month or exit."""
    postgres = connection.dialect.name == "postgresql"
    first_day = "CAST(pb.period || '-01' AS DATE)" if postgres else "(pb.period || '-01')"
    rows = connection.execute(
        sa.text(
            "SELECT s.row_no, s.program, MIN(pb.period), COUNT(*)"
            f" FROM {STAGING} s JOIN (SELECT DISTINCT program, period FROM batches"
            "  WHERE kind = 'regular' AND state <> 'voided') pb ON pb.program = s.program"
            "  AND pb.period >= s.start_month AND pb.period < :start"
            " WHERE (s.end_month IS NULL OR s.end_month >= pb.period)"
            f" AND (s.exit_date IS NULL OR s.exit_date >= {first_day})"
            " AND NOT EXISTS (SELECT 1 FROM recipients r JOIN enrolments e ON e.recipient_id = r.id"
            "  WHERE r.id_number = s.id_number AND e.program = s.program)"
            " GROUP BY s.row_no, s.program ORDER BY s.row_no"
        ),
        {"start": window_start},
    ).all()
    return [(int(r), str(p), str(m), int(n)) for r, p, m, n in rows]
