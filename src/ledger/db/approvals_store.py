"""Approvals of batches, one row each (see ``ledger.db.schema.operators``)."""

from datetime import datetime

import sqlalchemy as sa

from ledger.db.schema import batch_approvals
from ledger.operators import os_login


def approvals(connection: sa.Connection, batch_id: int) -> list[sa.Row]:
    return list(
        connection.execute(
            sa.select(batch_approvals)
            .where(batch_approvals.c.batch_id == batch_id)
            .order_by(batch_approvals.c.id)
        )
    )


def insert(
    connection: sa.Connection,
    batch_id: int,
    *,
    operator: str,
    key: str,
    department: str | None,
    now: datetime,
) -> None:
    connection.execute(
        batch_approvals.insert().values(
            batch_id=batch_id,
            operator=operator,
            operator_key=key,
            department=department,
            approved_at=now,
            db_login=os_login(),
        )
    )
