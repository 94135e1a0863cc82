"""The SQL of 补发 back pay at ``batch run`` (``ledger.backpay``): set-based, from the
run's staged rows (``batches_store.stage_eligible``), while they are still staged."""

from collections.abc import Sequence

import sqlalchemy as sa

from ledger.db.added_instructions import insert_following_instructions

_RUNS = (
    "(SELECT program, period, MIN(created_at) AS run_at FROM batches"
    " WHERE kind = 'regular' AND state <> 'voided' GROUP BY program, period)"
)
"""The months already run per program: when each was first run (its batch created)."""


def insert_back_pay(
    connection: sa.Connection,
    period: str,
    window_start: str,
    batch_ids: Sequence[int],
    e2e_prefix: str,
) -> int:
    """Back-pay entitlements (kind ``backpay``) and their instructions in the new
    regular batches: for every staged enrolment approved late, one per month from
    ``window_start`` (and its start month) to the month before ``period`` that was run
    for its program before the person's first enrolment version was imported, in which
    the enrolment was entitled (not ended, not exited before the month), and that has no
    live entitlement yet. Each is dated to its month, at the current amount; its
    instruction follows the batch's regular lines. Returns how many were created."""
    if not batch_ids:
        return 0
    ids = ", ".join(str(int(b)) for b in batch_ids)
    postgres = connection.dialect.name == "postgresql"
    first_day = "CAST(pb.period || '-01' AS DATE)" if postgres else "(pb.period || '-01')"
    created = connection.execute(
        sa.text(
            "INSERT INTO entitlements (recipient_id, enrolment_id, program, period, kind,"
            " amount_fen, township, village, batch_id, status)"
            " SELECT s.recipient_id, s.enrolment_id, s.program, pb.period, 'backpay',"
            " s.amount_fen, s.township, s.village, b.id, 'open'"
            " FROM ledger_run_rows s"
            " JOIN enrolments e ON e.id = s.enrolment_id"
            f" JOIN batches b ON b.period = :period AND b.id IN ({ids})"
            "  AND b.program = s.program AND b.bank = s.bank"
            f" JOIN {_RUNS} pb ON pb.program = s.program AND pb.period >= e.start_month"
            "  AND pb.period >= :window_start AND pb.period < :period"
            # The current version imported after the month was run: necessary for the
            # first one to be (cheap: it rules out at once the rows not changed since).
            " JOIN roster_imports ci ON ci.id = e.valid_from_import AND ci.imported_at > pb.run_at"
            " WHERE e.start_month < :period"
            " AND (e.end_month IS NULL OR e.end_month >= pb.period)"
            f" AND (e.exit_date IS NULL OR e.exit_date >= {first_day})"
            " AND (SELECT MIN(ri.imported_at) FROM enrolments v"
            "  JOIN roster_imports ri ON ri.id = v.valid_from_import"
            "  WHERE v.recipient_id = s.recipient_id AND v.program = s.program) > pb.run_at"
            " AND NOT EXISTS (SELECT 1 FROM entitlements x WHERE x.recipient_id = s.recipient_id"
            "  AND x.program = s.program AND x.period = pb.period AND x.status <> 'voided'"
            "  AND x.kind IN ('regular', 'backpay'))"
            " ORDER BY s.ordinal, pb.period"
        ),
        {"period": period, "window_start": window_start},
    ).rowcount
    if not created:
        return 0
    insert_following_instructions(connection, ids, e2e_prefix, "backpay", "t.period")
    return int(created)


def back_pay_of_batch(connection: sa.Connection, batch_id: int) -> list[sa.Row]:
    """A batch's back-pay lines: instruction, recipient, name, township, the month owed,
    amount and status, in line order."""
    return list(
        connection.execute(
            sa.text(
                "SELECT i.id AS instruction_id, i.line_number, i.status, r.key,"
                " i.account_holder AS name, i.township, t.period, i.amount_fen"
                " FROM payment_instructions i JOIN entitlements t ON t.id = i.entitlement_id"
                " JOIN recipients r ON r.id = i.recipient_id"
                " WHERE i.batch_id = :batch AND t.kind = 'backpay' ORDER BY i.line_number"
            ),
            {"batch": int(batch_id)},
        )
    )
