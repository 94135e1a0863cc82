"""Reads of the screening's holds: a batch's holds with their evidence and releases (the
approval sheet, `batch show`), a period's held instructions (the exception report), and
the reasons of some instructions."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db.bulk import fetch_all


def held_of_batch(connection: sa.Connection, batch_id: int) -> list[sa.Row[Any]]:
    """Every hold of a batch's instructions, with the instruction, its payee and the
    release if any (one row per instruction and reason; ordered by instruction)."""
    return list(
        connection.execute(
            sa.text(
                "SELECT i.id AS instruction_id, i.status, r.key, i.account_holder AS name,"
                " i.township, i.village, i.amount_fen, i.bank, i.account_number, i.id_number,"
                " h.reason, h.list_name, h.evidence_ref, h.evidence_date, h.source, h.detail,"
                " rl.reason AS release_reason, rl.released_by, rl.released_at"
                " FROM instruction_holds h"
                " JOIN payment_instructions i ON i.id = h.instruction_id"
                " JOIN recipients r ON r.id = i.recipient_id"
                " LEFT JOIN hold_releases rl ON rl.instruction_id = i.id"
                " WHERE h.batch_id = :batch ORDER BY i.id, h.id"
            ),
            {"batch": int(batch_id)},
        )
    )


def holds_of_period(connection: sa.Connection, period: str) -> list[sa.Row[Any]]:
    """Every instruction of a (not voided) batch of the period that the screening held:
    its batch, payee key, township and amount, and its release if any."""
    return list(
        connection.execute(
            sa.text(
                "SELECT i.id AS instruction_id, b.id AS batch_id, r.key, i.township,"
                " i.amount_fen, rl.reason AS release_reason, rl.released_by, rl.released_at"
                " FROM payment_instructions i JOIN batches b ON b.id = i.batch_id"
                " JOIN recipients r ON r.id = i.recipient_id"
                " LEFT JOIN hold_releases rl ON rl.instruction_id = i.id"
                " WHERE b.period = :period AND b.state <> 'voided'"
                " AND EXISTS (SELECT 1 FROM instruction_holds h WHERE h.instruction_id = i.id)"
                " ORDER BY i.id"
            ),
            {"period": period},
        )
    )


def reasons_of(connection: sa.Connection, instruction_ids: Sequence[int]) -> dict[int, list[str]]:
    """instruction id -> its hold reasons."""
    if not instruction_ids:
        return {}
    out: dict[int, list[str]] = {}
    ids = ", ".join(str(int(i)) for i in instruction_ids)
    for instruction_id, reason in fetch_all(
        connection,
        f"SELECT instruction_id, reason FROM instruction_holds WHERE instruction_id IN ({ids})",
    ):
        out.setdefault(int(instruction_id), []).append(str(reason))
    return out
