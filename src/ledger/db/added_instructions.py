"""The first instructions of entitlements a run adds to its new batches after their
regular lines (补发 back pay, 分类施保 supplements): one ``INSERT ... SELECT`` per kind,
numbered on from each batch's last line."""

import sqlalchemy as sa

from ledger.db.batches_store import e2e_expression


def insert_following_instructions(
    connection: sa.Connection, ids: str, e2e_prefix: str, kind: str, last_order: str
) -> None:
    """One pending instruction (attempt 1) for each entitlement of ``kind`` (a constant
    of the caller's, written into the SQL) in the
    batches ``ids`` (a list of integer ids as SQL), to the enrolment's account, its
    line after the batch's lines so far in order of township, village, recipient and
    ``last_order`` (a column of the entitlement ``t``)."""
    e2e = e2e_expression(connection, "t.id", "1")
    connection.execute(
        sa.text(
            "INSERT INTO payment_instructions (batch_id, entitlement_id, attempt, recipient_id,"
            " township, village, amount_fen, bank, account_number, account_holder, id_number,"
            " end_to_end_id, line_number, status)"
            " SELECT t.batch_id, t.id, 1, t.recipient_id, t.township, t.village, t.amount_fen,"
            f" e.bank, e.account_number, e.account_holder, r.id_number, {e2e},"
            " m.last + ROW_NUMBER() OVER (PARTITION BY t.batch_id"
            f"  ORDER BY t.township, t.village, r.key, {last_order}), 'pending'"
            " FROM entitlements t JOIN enrolments e ON e.id = t.enrolment_id"
            " JOIN recipients r ON r.id = t.recipient_id"
            " JOIN (SELECT batch_id, MAX(line_number) AS last FROM payment_instructions"
            f"  WHERE batch_id IN ({ids}) GROUP BY batch_id) m ON m.batch_id = t.batch_id"
            f" WHERE t.batch_id IN ({ids}) AND t.kind = '{kind}'"
        ),
        {"prefix": e2e_prefix},
    )
