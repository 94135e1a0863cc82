"""The audit trail of state changes: who did what to which subject, when.

Ledger transactions record their operator themselves; every other state change (a batch
approved, a file imported, a period closed...) adds an append-only event here.
"""

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ledger.db.schema import audit_events
from ledger.operators import os_login


def record_event(
    connection: sa.Connection,
    *,
    operator: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    detail: dict[str, Any] | None = None,
) -> None:
    connection.execute(
        audit_events.insert().values(
            occurred_at=datetime.now(UTC),
            operator=operator,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
            # PostgreSQL replaces it with session_user (migrations/sql).
            db_login=os_login(),
        )
    )
