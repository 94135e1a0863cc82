"""Legacy records for the demo: enrolments made current without the import's validation.

Two planted kinds cannot pass the roster import, which refuses them: an identity with a
wrong check character or an impossible birth date, and an amount above the program's
cap. In the real world such enrolments come from before the validation existed (an
older system's records synchronised into the ledger); the demo inserts those few rows
directly and says so in the manifest (``"inserted_directly": true``).
"""

from datetime import UTC, datetime
from hashlib import sha256

import pandas as pd
import sqlalchemy as sa

from ledger.county import County
from ledger.db.bulk import executemany, fetch_all
from ledger.db.events import record_event
from ledger.db.schema import roster_imports
from ledger.identity import birth_date


def insert_unvalidated(
    connection: sa.Connection, rows: pd.DataFrame, county: County, *, operator: str, month: str
) -> int:
    """Make the enrolments of ``rows`` current, bypassing the import's validation.

    Stands for records synchronised from an older system that never checked them. A
    person missing from ``recipients`` is added with the next key; a current version
    that differs (e.g. exited by a roster import that did not list them) is closed and
    an active version inserted, as an import would. Returns the import id used.

    A handful of rows (four in the demo), so one statement per row is fine here; it is
    not a bulk path."""
    now = datetime.now(UTC)
    digest = sha256(f"unvalidated:{month}:{now.isoformat()}".encode()).hexdigest()
    import_id = int(
        connection.execute(
            roster_imports.insert()
            .values(
                file_name=f"(legacy records, entered before validation) {month}",
                file_sha256=digest,
                row_count=len(rows),
                operator=operator,
                imported_at=now,
            )
            .returning(roster_imports.c.id)
        ).scalar_one()
    )
    township_of = {t.name: code for code, t in county.townships.items()}
    village_of = {
        (code, v.name): v.code for code, t in county.townships.items() for v in t.villages
    }
    integer = "BIGINT" if connection.dialect.name == "postgresql" else "INTEGER"
    next_number = 1 + int(
        fetch_all(
            connection,
            f"SELECT COALESCE(MAX(CAST(SUBSTR(key, 2) AS {integer})), 0) FROM recipients",
        )[0][0]
    )
    for row in rows.to_dict("records"):
        found = fetch_all(
            connection, "SELECT id FROM recipients WHERE id_number = ?", (row["身份证号"],)
        )
        if found:
            recipient_id = int(found[0][0])
        else:
            executemany(
                connection,
                "INSERT INTO recipients (key, id_number, name, sex, birth_date, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        f"R{next_number:07d}",
                        row["身份证号"],
                        row["姓名"],
                        "M" if int(row["身份证号"][16]) % 2 else "F",
                        birth_date(row["身份证号"]),
                        now,
                    )
                ],
            )
            next_number += 1
            recipient_id = int(
                fetch_all(
                    connection, "SELECT id FROM recipients WHERE id_number = ?", (row["身份证号"],)
                )[0][0]
            )
        program = row["救助项目"]
        current = fetch_all(
            connection,
            "SELECT id, status FROM enrolments WHERE recipient_id = ? AND program = ? "
            "AND valid_to_import IS NULL",
            (recipient_id, program),
        )
        if current and current[0][1] == "active":
            continue
        if current:
            executemany(
                connection,
                "UPDATE enrolments SET valid_to_import = ? WHERE id = ?",
                [(import_id, current[0][0])],
            )
        township = township_of[row["乡镇"]]
        fen = int(str(row["月发放金额(元)"]).replace(".", ""))
        executemany(
            connection,
            "INSERT INTO enrolments (recipient_id, program, township, village, household_id, "
            "household_size, amount_fen, bank, account_number, account_holder, start_month, "
            "end_month, exit_date, status, valid_from_import) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 'active', ?)",
            [
                (
                    recipient_id,
                    program,
                    township,
                    village_of[(township, row["村"])],
                    row["户编号"],
                    int(row["家庭人口"]),
                    fen,
                    row["开户银行"],
                    row["银行账号"],
                    row["账户户名"],
                    row["起始月份"],
                    import_id,
                )
            ],
        )
    record_event(
        connection,
        operator=operator,
        action="roster.unvalidated_records",
        subject_type="roster_import",
        subject_id=import_id,
        detail={
            "month": month,
            "rows": len(rows),
            "note": "demo: legacy records entered before validation existed",
        },
    )
    return import_id
