"""The SQL of supplementary batches: which failed (and, when asked, held) instructions
of a period are paid again, which wait for a changed account, and their new
instructions. Set-based like ``batches_store``; the service is
``ledger.payments.run.reissue_failed``."""

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db.batches_store import Group, e2e_expression, in_list, in_list_int

_CLOSED_UNCHANGED = (
    "EXISTS (SELECT 1 FROM instruction_outcomes x WHERE x.instruction_id = i.id"
    " AND x.outcome = 'failed' AND x.reason_code IN ('AC04', 'AC06'))"
    " AND COALESCE(e.bank, i.bank) = i.bank"
    " AND COALESCE(e.account_number, i.account_number) = i.account_number"
)
"""A failure on an account the bank reported closed (AC04) or frozen (AC06), whose
recipient has not changed that account since: re-issuing would fail again."""

_REISSUE_SOURCE = f"""
    FROM payment_instructions i
    JOIN batches ob ON ob.id = i.batch_id
    LEFT JOIN enrolments e ON e.recipient_id = i.recipient_id AND e.program = ob.program
         AND e.valid_to_import IS NULL
    WHERE ob.period = :period
      AND ((i.status = 'failed' AND NOT ({_CLOSED_UNCHANGED}))
           OR (i.status = 'held' AND :with_held = 1 AND ob.state NOT IN ('draft', 'voided')
               AND NOT EXISTS (SELECT 1 FROM payment_instructions n
                               WHERE n.reissue_of = i.id AND n.status <> 'voided')))
"""
"""What a supplementary batch pays: failed instructions of a period (not those of
``_CLOSED_UNCHANGED``) and, when asked, the held instructions of its approved batches,
with the recipient's current account (a corrected card number is used; without a
current enrolment, the old one). The new instructions are screened again. A held
instruction keeps its status (its batch's file, totals and reconciliation do not
change); its successor names it in ``reissue_of``, and while that successor is not
voided it is not taken again."""


def reissue_groups(
    connection: sa.Connection,
    period: str,
    programs: Collection[str],
    banks: Collection[str],
    *,
    with_held: bool = False,
) -> list[Group]:
    program_sql, program_params = in_list("ob.program", programs, "program")
    bank_sql, bank_params = in_list("COALESCE(e.bank, i.bank)", banks, "bank")
    rows = connection.execute(
        sa.text(
            "SELECT ob.program AS program, COALESCE(e.bank, i.bank) AS bank, COUNT(*) AS n,"
            " SUM(i.amount_fen) AS total"
            + _REISSUE_SOURCE
            + program_sql
            + bank_sql
            + " GROUP BY ob.program, COALESCE(e.bank, i.bank) ORDER BY 1, 2"
        ),
        {"period": period, "with_held": int(with_held), **program_params, **bank_params},
    )
    return [Group(r.program, r.bank, int(r.n), int(r.total)) for r in rows]


def closed_unchanged(
    connection: sa.Connection, period: str, programs: Collection[str], banks: Collection[str]
) -> list[sa.Row[Any]]:
    """The period's failed instructions that are not re-issued because their account
    was reported closed or frozen and is unchanged (id, recipient key, bank, reason)."""
    program_sql, program_params = in_list("ob.program", programs, "program")
    bank_sql, bank_params = in_list("COALESCE(e.bank, i.bank)", banks, "bank")
    return list(
        connection.execute(
            sa.text(
                "SELECT i.id, r.key, i.bank,"
                " (SELECT MAX(x.reason_code) FROM instruction_outcomes x"
                "  WHERE x.instruction_id = i.id AND x.outcome = 'failed') AS reason_code"
                " FROM payment_instructions i JOIN batches ob ON ob.id = i.batch_id"
                " JOIN recipients r ON r.id = i.recipient_id"
                " LEFT JOIN enrolments e ON e.recipient_id = i.recipient_id"
                " AND e.program = ob.program AND e.valid_to_import IS NULL"
                f" WHERE ob.period = :period AND i.status = 'failed' AND {_CLOSED_UNCHANGED}"
                + program_sql
                + bank_sql
                + " ORDER BY i.id"
            ),
            {"period": period, **program_params, **bank_params},
        )
    )


_INSTITUTION = "i.entitlement_id IN (SELECT entitlement_id FROM institution_payments)"


def insert_reissued_instructions(
    connection: sa.Connection,
    period: str,
    batch_ids: Sequence[int],
    e2e_prefix: str,
    *,
    with_held: bool = False,
) -> None:
    """A new instruction (next attempt) for every instruction of ``_REISSUE_SOURCE``, in
    the new supplementary batch of its program and (current) bank; the failed ones
    become 'reissued' (the held ones stay held, see ``_REISSUE_SOURCE``)."""
    batch_sql, batch_params = in_list_int("b.id", batch_ids, "batch")
    e2e = e2e_expression(connection, "s.entitlement_id", "s.attempt")
    connection.execute(
        sa.text(
            "INSERT INTO payment_instructions (batch_id, entitlement_id, attempt, recipient_id,"
            " township, village, amount_fen, bank, account_number, account_holder, id_number,"
            " end_to_end_id, line_number, status, reissue_of)"
            " SELECT s.batch_id, s.entitlement_id, s.attempt, s.recipient_id, s.township,"
            " s.village, s.amount_fen, s.bank, s.account_number, s.account_holder,"
            f" s.id_number, {e2e},"
            " ROW_NUMBER() OVER (PARTITION BY s.batch_id ORDER BY s.township, s.village,"
            " s.recipient_key), 'pending', s.failed_id"
            " FROM (SELECT b.id AS batch_id, i.entitlement_id,"
            "  (SELECT MAX(q.attempt) FROM payment_instructions q"
            "   WHERE q.entitlement_id = i.entitlement_id) + 1 AS attempt,"
            "  i.recipient_id, i.township, i.village, i.amount_fen,"
            "  COALESCE(e.bank, i.bank) AS bank,"
            # An institution's line (ledger.institutions) keeps the institution's
            # account, not the carrier resident's roster card.
            f"  CASE WHEN {_INSTITUTION} THEN i.account_number"
            "  ELSE COALESCE(e.account_number, i.account_number) END AS account_number,"
            f"  CASE WHEN {_INSTITUTION} THEN i.account_holder"
            "  ELSE COALESCE(e.account_holder, i.account_holder) END AS account_holder,"
            "  i.id_number, r.key AS recipient_key, i.id AS failed_id"
            + _REISSUE_SOURCE.replace(
                "WHERE ob.period",
                "JOIN recipients r ON r.id = i.recipient_id"
                " JOIN batches b ON b.period = :period AND b.program = ob.program"
                " AND b.bank = COALESCE(e.bank, i.bank)" + batch_sql + " WHERE ob.period",
                1,
            )
            + ") s"
        ),
        {"period": period, "prefix": e2e_prefix, "with_held": int(with_held), **batch_params},
    )
    new_batch_sql, new_params = in_list_int("n.batch_id", batch_ids, "nbatch")
    connection.execute(
        sa.text(
            "UPDATE payment_instructions SET status = 'reissued'"
            " WHERE status = 'failed' AND id IN (SELECT n.reissue_of FROM payment_instructions n"
            " WHERE n.reissue_of IS NOT NULL" + new_batch_sql + ")"
        ),
        new_params,
    )
