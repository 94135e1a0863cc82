"""A batch's rows on their way out: the columns its accrual posts and the rows its bank
file is written from (held instructions excepted), read as columns or in chunks,
without per-row objects."""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from ledger.db.bulk import fetch_all

_NOT_ACCRUED = (
    " AND NOT EXISTS (SELECT 1 FROM postings p JOIN payment_instructions q"
    " ON q.id = p.instruction_id JOIN transactions t ON t.id = p.transaction_id"
    " WHERE q.entitlement_id = i.entitlement_id AND t.type = 'accrual')"
)
"""Instructions whose entitlement was never accrued: in a supplementary batch, the
payments held in their regular batch and paid now (a re-issued failure's payable is
still open: it is not accrued twice)."""


def accrual_columns(
    connection: sa.Connection, batch_id: int, *, only_not_accrued: bool = False
) -> tuple[list[int], list[str], list[str], list[int]]:
    """Instruction ids, recipient keys, townships and amounts of a batch (held ones
    excepted: they are not accrued; with ``only_not_accrued``, only those of
    ``_NOT_ACCRUED``), in recipient key order (the order of their payable accounts: the
    postings then append to the postings' account index), as columns, without per-row
    objects."""
    rows = fetch_all(
        connection,
        "SELECT i.id, r.key, i.township, i.amount_fen FROM payment_instructions i"
        " JOIN recipients r ON r.id = i.recipient_id"
        " WHERE i.batch_id = ? AND i.status <> 'held'"
        + (_NOT_ACCRUED if only_not_accrued else "")
        + " ORDER BY r.key",
        (int(batch_id),),
    )
    if not rows:
        return [], [], [], []
    ids, keys, townships, amounts = (list(column) for column in zip(*rows, strict=True))
    return ids, keys, townships, [int(a) for a in amounts]


FILE_COLUMNS = (
    "line_number",
    "recipient_key",
    "account_holder",
    "id_number",
    "account_number",
    "amount_fen",
    "end_to_end_id",
    "bank",
)


def iter_file_rows(
    connection: sa.Connection, batch_id: int, chunk_size: int = 20_000
) -> Iterator[list[tuple[Any, ...]]]:
    """A batch's instructions in file order, ``FILE_COLUMNS`` per row, in chunks. Held
    instructions are not in the file; the others keep their line number as 序号 (a
    return file without EndToEndIds is matched by it), so 序号 may skip a held line."""
    cursor = connection.exec_driver_sql(
        "SELECT i.line_number, r.key, i.account_holder, i.id_number, i.account_number,"
        " i.amount_fen, i.end_to_end_id, i.bank FROM payment_instructions i"
        " JOIN recipients r ON r.id = i.recipient_id"
        f" WHERE i.batch_id = {int(batch_id)} AND i.status <> 'held' ORDER BY i.line_number"
    )
    while True:
        chunk = cursor.fetchmany(chunk_size)
        if not chunk:
            return
        yield [tuple(row) for row in chunk]
