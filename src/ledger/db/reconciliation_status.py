"""Per-batch reconciliation reads: counts and amounts per instruction status, the
clearing balance computed from the journal, and how many instructions are pending.
Read-only SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db.bulk import fetch_all

# held: paid by no file (the screening stopped them); counted in the batch's count.
STATUS_KINDS = ("settled", "failed", "pending", "cancelled", "reissued", "held")


def batch_summaries(
    connection: sa.Connection, batch_ids: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Per exported batch: counts and amounts per instruction status, and the batch's
    clearing balance (its funding, less what each instruction's outcome cleared)."""
    where = ""
    if batch_ids is not None:
        if not batch_ids:
            return []
        where = f" AND b.id IN ({', '.join(str(int(b)) for b in batch_ids)})"
    sums = ", ".join(
        f"SUM(CASE WHEN i.status = '{s}' THEN 1 ELSE 0 END) AS {s}_count,"
        f" SUM(CASE WHEN i.status = '{s}' THEN i.amount_fen ELSE 0 END) AS {s}_fen"
        for s in STATUS_KINDS
    )
    rows = connection.execute(
        sa.text(
            "SELECT b.id, b.period, b.program, b.bank, b.kind, b.state,"
            " b.instruction_count, b.amount_fen_total, b.file_name, b.profile,"
            f" {sums} FROM batches b JOIN payment_instructions i ON i.batch_id = b.id"
            " WHERE b.state IN ('exported', 'partially_reconciled', 'reconciled', 'closed')"
            + where
            + " GROUP BY b.id, b.period, b.program, b.bank, b.kind, b.state,"
            " b.instruction_count, b.amount_fen_total, b.file_name, b.profile ORDER BY b.id"
        )
    ).mappings()
    summaries = [dict(r) for r in rows]
    clearing = batch_clearing(connection, [int(s["id"]) for s in summaries])
    for s in summaries:
        s["clearing_fen"] = clearing.get(int(s["id"]), 0)
        for kind in STATUS_KINDS:
            s[f"{kind}_count"] = int(s[f"{kind}_count"] or 0)
            s[f"{kind}_fen"] = int(s[f"{kind}_fen"] or 0)
    return summaries


_CLEARING = "Assets:BankClearing:%"


def batch_clearing(connection: sa.Connection, batch_ids: Sequence[int]) -> dict[int, int]:
    """The clearing balance of each batch: its funding posting on the bank's clearing
    account plus the clearing postings that name one of its instructions."""
    if not batch_ids:
        return {}
    ids = ", ".join(str(int(b)) for b in batch_ids)
    clearing = [
        int(a)
        for (a,) in fetch_all(connection, "SELECT id FROM accounts WHERE name LIKE ?", (_CLEARING,))
    ]
    if not clearing:
        return {int(b): 0 for b in batch_ids}
    accounts_in = ", ".join(str(a) for a in clearing)
    funded = fetch_all(
        connection,
        "SELECT b.id, COALESCE(SUM(p.amount_fen), 0) FROM batches b"
        " JOIN postings p ON p.transaction_id = b.funding_transaction_id"
        f" WHERE b.id IN ({ids}) AND p.account_id IN ({accounts_in}) GROUP BY b.id",
    )
    cleared = fetch_all(
        connection,
        "SELECT i.batch_id, COALESCE(SUM(p.amount_fen), 0) FROM payment_instructions i"
        " JOIN postings p ON p.instruction_id = i.id"
        f" WHERE i.batch_id IN ({ids}) AND p.account_id IN ({accounts_in}) GROUP BY i.batch_id",
    )
    out = {int(b): int(v) for b, v in funded}
    for b, v in cleared:
        out[int(b)] = out.get(int(b), 0) + int(v)
    return out


def pending_counts(connection: sa.Connection, batch_ids: Sequence[int]) -> dict[int, int]:
    if not batch_ids:
        return {}
    ids = ", ".join(str(int(b)) for b in batch_ids)
    return {
        int(b): int(n)
        for b, n in fetch_all(
            connection,
            "SELECT batch_id, SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END)"
            f" FROM payment_instructions WHERE batch_id IN ({ids}) GROUP BY batch_id",
        )
    }
