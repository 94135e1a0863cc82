"""What the audit trail (``audit_reads``) and the web console (``web_queries``) read
alike: the columns of a bank outcome and of its return file, the head of an instruction
line, and counts and sums per group."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db.schema import instruction_outcomes, payment_instructions, recipients, return_files

_o, _f, _i = instruction_outcomes, return_files, payment_instructions

# What the bank said about an instruction (one outcome).
OUTCOME = (
    _o.c.outcome,
    _o.c.reason_code,
    _o.c.reason_text,
    _o.c.amount_fen,
    _o.c.transaction_id,
    _o.c.recorded_at,
)
# The return file an outcome came from.
RETURN_FILE = (
    _f.c.id.label("return_file_id"),
    _f.c.file_name,
    _f.c.file_sha256,
    _f.c.format,
    _f.c.imported_by,
)
# An instruction's line in its batch and whom it pays (join ``recipients``).
INSTRUCTION_LINE = (
    _i.c.id,
    _i.c.line_number,
    _i.c.end_to_end_id,
    recipients.c.key.label("recipient_key"),
    _i.c.township,
)


def totals(group: Sequence[Any], amount: Any, where: Any) -> sa.Select[Any]:
    """Per value of the ``group`` columns (in their order): the rows' count and the sum
    of ``amount``."""
    return (
        sa.select(*group, sa.func.count().label("count"), sa.func.sum(amount).label("amount_fen"))
        .where(where)
        .group_by(*group)
        .order_by(*group)
    )
