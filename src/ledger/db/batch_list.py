"""The batch list (``ledger batch list``): every batch with how many payments are held."""

from typing import Any

import sqlalchemy as sa

from ledger.db.schema import batches


def list_batches(
    connection: sa.Connection, *, period: str | None = None, state: str | None = None
) -> list[sa.Row[Any]]:
    """The batches with ``held``: how many of their payments the screening holds (counted
    in ``instruction_count``, not in the bank file), found through the holds."""
    held = sa.text(
        "(SELECT COUNT(DISTINCT h.instruction_id) FROM instruction_holds h"
        " JOIN payment_instructions i ON i.id = h.instruction_id"
        " WHERE h.batch_id = batches.id AND i.status = 'held')"
    )
    query = sa.select(batches, sa.literal_column(held.text).label("held")).order_by(batches.c.id)
    if period is not None:
        query = query.where(batches.c.period == period)
    if state is not None:
        query = query.where(batches.c.state == state)
    return list(connection.execute(query))
