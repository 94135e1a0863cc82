"""The audit events' chain rule, independent of any database (see ``ledger.db.events``).

An event's ``hash`` = SHA-256 of the previous event's hash and the event's recorded
fields, each length-prefixed and joined by the ASCII unit separator, as the journal's
header is (``ledger.journal``). Migrations import this module.
"""

import hashlib
import json
from datetime import datetime
from typing import Any

from ledger.journal import canonical_timestamp

# The fields the hash covers, in order (besides prev_hash first).
HASHED_FIELDS = (
    "id",
    "occurred_at",
    "operator",
    "action",
    "subject_type",
    "subject_id",
    "detail",
    "journal_transaction_id",
    "journal_hash",
    "state",
)


def canonical_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(row: dict[str, Any]) -> str:
    """The hash of an event given as a mapping of ``prev_hash`` and ``HASHED_FIELDS``."""

    def text(value: object) -> str:
        value = "" if value is None else str(value)
        return f"{len(value)}:{value}"

    occurred = row["occurred_at"]
    head = "\x1f".join(
        [
            row["prev_hash"],
            str(row["id"]),
            canonical_timestamp(occurred) if isinstance(occurred, datetime) else text(occurred),
            text(row["operator"]),
            text(row["action"]),
            text(row["subject_type"]),
            text(row["subject_id"]),
            text(row["detail"]),
            text(row["journal_transaction_id"]),
            text(row["journal_hash"]),
            text(row["state"]),
        ]
    )
    return hashlib.sha256(head.encode("utf-8")).hexdigest()
