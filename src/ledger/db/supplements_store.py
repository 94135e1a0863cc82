"""The SQL of 分类施保 supplements (``ledger.supplements``): the categories lists and,
at ``batch run``, the supplement entitlements and instructions of the new regular
batches, set-based from the run's staged rows while they are still staged."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.db.added_instructions import insert_following_instructions
from ledger.db.bulk import executemany
from ledger.db.schema import category_imports
from ledger.kinds_rules import Supplement

CURRENT_IMPORT = "(SELECT MAX(id) FROM category_imports)"


def insert_import(
    connection: sa.Connection,
    *,
    file_name: str,
    sha256: str,
    rows: Sequence[tuple[str, str, str]],
    operator: str,
    now: datetime,
) -> tuple[int, list[str]]:
    """Record a categories list: ``rows`` are (ID number, program, category). Returns
    the import id and the ID numbers no recipient has (nothing kept then: the caller
    rolls back)."""
    import_id = int(
        connection.execute(
            category_imports.insert()
            .values(
                file_name=file_name,
                file_sha256=sha256,
                row_count=len(rows),
                operator=operator,
                imported_at=now,
            )
            .returning(category_imports.c.id)
        ).scalar_one()
    )
    connection.exec_driver_sql("DROP TABLE IF EXISTS ledger_category_rows")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE ledger_category_rows (id_number VARCHAR(18),"
        " program VARCHAR(32), category VARCHAR(32))"
    )
    executemany(
        connection,
        "INSERT INTO ledger_category_rows (id_number, program, category) VALUES (?, ?, ?)",
        list(rows),
    )
    unknown = [
        str(r[0])
        for r in connection.exec_driver_sql(
            "SELECT DISTINCT s.id_number FROM ledger_category_rows s"
            " WHERE NOT EXISTS (SELECT 1 FROM recipients r WHERE r.id_number = s.id_number)"
        )
    ]
    connection.execute(
        sa.text(
            "INSERT INTO recipient_categories (import_id, recipient_id, program, category)"
            " SELECT DISTINCT :import_id, r.id, s.program, s.category FROM ledger_category_rows s"
            " JOIN recipients r ON r.id_number = s.id_number"
        ),
        {"import_id": import_id},
    )
    connection.exec_driver_sql("DROP TABLE IF EXISTS ledger_category_rows")
    return import_id, unknown


def insert_supplements(
    connection: sa.Connection,
    period: str,
    batch_ids: Sequence[int],
    e2e_prefix: str,
    supplements: Sequence[Supplement],
) -> int:
    """Supplement entitlements (kind ``supplement``) and their instructions in the new
    regular batches: one per staged enrolment, supplement whose category the current
    categories list gives the recipient in that program, and month, without a live one
    yet; its instruction follows the batch's lines so far. Returns how many."""
    if not batch_ids or not supplements:
        return 0
    ids = ", ".join(str(int(b)) for b in batch_ids)
    created = 0
    for supplement in supplements:
        params: dict[str, Any] = {
            "period": period,
            "code": supplement.code,
            "category": supplement.category,
        }
        programs = ", ".join(f":p{i}" for i in range(len(supplement.programs)))
        params |= {f"p{i}": p for i, p in enumerate(supplement.programs)}
        if supplement.fixed_fen is not None:
            amount = "CAST(:fixed AS BIGINT)"
            params["fixed"] = supplement.fixed_fen
        else:
            # Rounded half up to the fen (ledger.kinds_rules.share_half_up); integer SQL.
            amount = "(s.amount_fen * CAST(:bp AS BIGINT) + 5000) / 10000"
            params["bp"] = supplement.percent_bp
        created += int(
            connection.execute(
                sa.text(
                    "INSERT INTO entitlements (recipient_id, enrolment_id, program, period, kind,"
                    " amount_fen, township, village, batch_id, status, supplement)"
                    " SELECT s.recipient_id, s.enrolment_id, s.program,"
                    " CAST(:period AS VARCHAR(7)), 'supplement',"
                    f" {amount}, s.township, s.village, b.id, 'open', CAST(:code AS VARCHAR(16))"
                    " FROM ledger_run_rows s"
                    f" JOIN batches b ON b.period = :period AND b.id IN ({ids})"
                    "  AND b.program = s.program AND b.bank = s.bank"
                    " JOIN recipient_categories c ON c.recipient_id = s.recipient_id"
                    f"  AND c.program = s.program AND c.import_id = {CURRENT_IMPORT}"
                    "  AND c.category = :category"
                    f" WHERE s.program IN ({programs}) AND {amount} > 0"
                    " AND NOT EXISTS (SELECT 1 FROM entitlements x"
                    "  WHERE x.recipient_id = s.recipient_id AND x.program = s.program"
                    "  AND x.period = :period AND x.kind = 'supplement'"
                    "  AND x.supplement = :code AND x.status <> 'voided')"
                    " ORDER BY s.ordinal"
                ),
                params,
            ).rowcount
        )
    if not created:
        return 0
    if connection.dialect.name == "postgresql":
        # The run's entitlements are not analysed yet: without statistics the planner
        # takes the table for empty and joins it row by row (minutes at 10^5).
        connection.exec_driver_sql("ANALYZE entitlements")
    insert_following_instructions(connection, ids, e2e_prefix, "supplement", "t.supplement")
    return created


def supplements_of_batch(connection: sa.Connection, batch_id: int) -> list[sa.Row[Any]]:
    """(code, count, amount, held count) of a batch's supplement lines, by code."""
    return list(
        connection.execute(
            sa.text(
                "SELECT t.supplement AS code, COUNT(*) AS n, SUM(i.amount_fen) AS fen,"
                " SUM(CASE WHEN i.status = 'held' THEN 1 ELSE 0 END) AS held"
                " FROM payment_instructions i JOIN entitlements t ON t.id = i.entitlement_id"
                " WHERE i.batch_id = :batch AND t.kind = 'supplement'"
                " GROUP BY t.supplement ORDER BY t.supplement"
            ),
            {"batch": int(batch_id)},
        )
    )
