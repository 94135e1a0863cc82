"""Tamper evidence: recompute the whole journal and name the first broken link.

``verify`` re-reads every transaction with its postings in chain order and checks, for
each: the id follows the previous one, ``prev_hash`` equals the previous transaction's
hash, the recomputed SHA-256 equals the stored hash, the posting count matches, and the
postings balance. It also checks that no posting lies outside a transaction and that
all postings together sum to zero. It reports every problem, not only the first.
"""

from dataclasses import dataclass, field
from itertools import groupby

import sqlalchemy as sa

from ledger.db.schema import transactions
from ledger.journal import GENESIS_HASH, HeaderFields, transaction_hash

_STREAM = """
SELECT t.id, t.type, t.effective_date, t.period, t.description, t.operator,
       t.idempotency_key, t.reverses_id, t.recorded_at, t.posting_count,
       t.prev_hash, t.hash, a.name, p.amount_fen, p.instruction_id
FROM transactions t
LEFT JOIN postings p ON p.transaction_id = t.id
LEFT JOIN accounts a ON a.id = p.account_id
ORDER BY t.id, p.id
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
    # Typed columns, so that dates and timestamps come back as Python objects.
    columns = list(transactions.c)
    typed = sa.text(_STREAM).columns(
        *columns,
        sa.column("name", sa.String),
        sa.column("amount_fen", sa.BigInteger),
        sa.column("instruction_id", sa.BigInteger),
    )
    result = connection.execution_options(yield_per=20_000).execute(typed)
    expected_id = 1
    prev_hash = GENESIS_HASH
    for tx_id, group in groupby(result, key=lambda row: row.id):
        rows = list(group)
        head = rows[0]
        names = [r.name for r in rows if r.amount_fen is not None]
        amounts = [int(r.amount_fen) for r in rows if r.amount_fen is not None]
        instructions = [
            None if r.instruction_id is None else int(r.instruction_id)
            for r in rows
            if r.amount_fen is not None
        ]
        report.transactions_checked += 1
        report.postings_checked += len(amounts)
        total = sum(amounts)
        report.total_fen += total
        if tx_id != expected_id:
            report.problems.append(
                (tx_id, f"expected transaction {expected_id} next, found {tx_id}")
            )
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
        recomputed = transaction_hash(head.prev_hash, header, names, amounts, instructions)
        if recomputed != head.hash:
            report.problems.append(
                (tx_id, "content does not match its hash: a header or posting was changed")
            )
        if len(amounts) != head.posting_count:
            report.problems.append(
                (tx_id, f"has {len(amounts)} postings, its header says {head.posting_count}")
            )
        if total != 0:
            report.problems.append((tx_id, f"postings sum to {total} fen, not 0"))
        if any(a == 0 for a in amounts):
            report.problems.append((tx_id, "has a posting of 0 fen"))
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
