"""Reversals: the journal's only correction (DESIGN §3). A reversal mirrors every
posting of the original, links to it (``reverses_id``), and goes through ``post`` like
any transaction; a transaction is reversed at most once."""

from datetime import date

import sqlalchemy as sa

from ledger.db.journal_store import Recorded, load_postings, lock_journal, post
from ledger.db.schema import transactions
from ledger.errors import LedgerError
from ledger.journal import NewTransaction, mirror


def reverse(
    connection: sa.Connection,
    transaction_id: int,
    *,
    operator: str,
    effective_date: date,
    reason: str,
    idempotency_key: str | None = None,
) -> Recorded:
    """Record the reversal of ``transaction_id``: mirrored postings, linked to it (``post``
    refuses a transaction reversed already)."""
    lock_journal(connection)
    original = connection.execute(
        sa.select(transactions.c.id, transactions.c.type).where(transactions.c.id == transaction_id)
    ).first()
    if original is None:
        raise LedgerError(f"transaction {transaction_id} does not exist")
    recorded = post(
        connection,
        NewTransaction(
            type="reversal",
            effective_date=effective_date,
            description=f"reversal of transaction {transaction_id} ({original.type}): {reason}",
            operator=operator,
            postings=mirror(load_postings(connection, transaction_id)),
            idempotency_key=idempotency_key,
            reverses_id=transaction_id,
        ),
    )
    if recorded.created:
        # The money goes back to (or, for an allocation, is withdrawn from) the same
        # allocations: docs/ledger.md "Fund lineage".
        from ledger.db import fund_lineage

        fund_lineage.mirror(connection, transaction_id, recorded.id)
    return recorded
