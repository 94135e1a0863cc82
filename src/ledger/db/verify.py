"""Tamper evidence: recompute the whole journal and name the first broken link.

``verify`` re-reads every transaction with its postings in chain order and checks, for
each: the id follows the previous one, ``prev_hash`` equals the previous transaction's
hash, the recomputed SHA-256 equals the stored hash, the posting count matches, and the
postings balance. It also checks that no posting lies outside a transaction and that
all postings together sum to zero. It reports every problem, not only the first.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ledger.db.schema import transactions
from ledger.journal import GENESIS_HASH, HeaderFields, transaction_hash

# Postings in chain order, raw (no per-row type processing): the bulk of the work.
_POSTINGS = """
SELECT p.transaction_id, a.name, p.amount_fen, p.instruction_id
FROM postings p JOIN accounts a ON a.id = p.account_id
ORDER BY p.transaction_id, p.id
"""


@dataclass
class VerifyReport:
    transactions_checked: int = 0
    postings_checked: int = 0
    total_fen: int = 0
    problems: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_transaction(self) -> int | None:
        ids = [tx for tx, _ in self.problems if tx is not None]
        return min(ids) if ids else None


def verify(connection: sa.Connection) -> VerifyReport:
    report = VerifyReport()
    headers = connection.execution_options(yield_per=1_000).execute(
        sa.select(transactions).order_by(transactions.c.id)
    )
    postings = _postings_by_transaction(connection)
    pending = next(postings, None)
    expected_id = 1
    prev_hash = GENESIS_HASH
    for head in headers:
        tx_id = int(head.id)
        names: list[str] = []
        amounts: list[int] = []
        instructions: list[int | None] = []
        # Postings of lower ids belong to no header: verify counts them below.
        while pending is not None and pending[0] < tx_id:
            pending = next(postings, None)
        if pending is not None and pending[0] == tx_id:
            _, names, amounts, instructions = pending
            pending = next(postings, None)
        _check_one(report, head, names, amounts, instructions, expected_id, prev_hash)
        expected_id = tx_id + 1
        prev_hash = head.hash
    orphans = connection.exec_driver_sql(
        "SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) FROM postings p "
        "WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = p.transaction_id)"
    ).one()
    if orphans[0]:
        report.problems.append(
            (None, f"{orphans[0]} posting(s) belong to no transaction ({orphans[1]} fen)")
        )
        report.total_fen += int(orphans[1])
    if report.total_fen != 0:
        report.problems.append(
            (None, f"all postings together sum to {report.total_fen} fen, not 0")
        )
    return report


def _postings_by_transaction(
    connection: sa.Connection,
) -> Iterator[tuple[int, list[str], list[int], list[int | None]]]:
    """(transaction id, account names, amounts, instruction ids), one per transaction."""
    result = connection.execution_options(yield_per=50_000).exec_driver_sql(_POSTINGS)
    current: int | None = None
    names: list[str] = []
    amounts: list[int] = []
    instructions: list[int | None] = []
    for tx_id, name, amount, instruction in result:
        if tx_id != current:
            if current is not None:
                yield current, names, amounts, instructions
            current, names, amounts, instructions = int(tx_id), [], [], []
        names.append(name)
        amounts.append(int(amount))
        instructions.append(None if instruction is None else int(instruction))
    if current is not None:
        yield current, names, amounts, instructions


def _check_one(
    report: VerifyReport,
    head: sa.Row[Any],
    names: list[str],
    amounts: list[int],
    instructions: list[int | None],
    expected_id: int,
    prev_hash: str,
) -> None:
    tx_id = int(head.id)
    report.transactions_checked += 1
    report.postings_checked += len(amounts)
    total = sum(amounts)
    report.total_fen += total
    if tx_id != expected_id:
        report.problems.append((tx_id, f"expected transaction {expected_id} next, found {tx_id}"))
    if head.prev_hash != prev_hash:
        report.problems.append(
            (tx_id, "prev_hash does not match the hash of the transaction before it")
        )
    header = HeaderFields(
        id=tx_id,
        type=head.type,
        effective_date=head.effective_date,
        period=head.period,
        description=head.description,
        operator=head.operator,
        idempotency_key=head.idempotency_key,
        reverses_id=head.reverses_id,
        recorded_at=head.recorded_at,
        posting_count=head.posting_count,
    )
    if transaction_hash(head.prev_hash, header, names, amounts, instructions) != head.hash:
        report.problems.append(
            (tx_id, "content does not match its hash: a header or posting was changed")
        )
    if len(amounts) != head.posting_count:
        report.problems.append(
            (tx_id, f"has {len(amounts)} postings, its header says {head.posting_count}")
        )
    if total != 0:
        report.problems.append((tx_id, f"postings sum to {total} fen, not 0"))
    if 0 in amounts:
        report.problems.append((tx_id, "has a posting of 0 fen"))
