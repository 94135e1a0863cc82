"""The journal's records and rules, independent of any database.

A transaction is a set of postings whose signed amounts (debit > 0, credit < 0, never 0)
sum to exactly 0. Once recorded, a transaction and its postings never change: mistakes
are corrected by a reversal transaction that mirrors the original and names it.

Every recorded transaction carries ``prev_hash`` (the hash of the transaction recorded
before it) and ``hash`` = SHA-256 of ``prev_hash`` and the canonical encoding of its
header and postings. Changing any recorded byte breaks every hash from there on.

Postings can be given as a list of ``Posting`` or, for bulk work, as ``PostingColumns``
(three parallel sequences), so that a batch of 10^6 postings never becomes 10^6 objects.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

GENESIS_HASH = "0" * 64

# How many days after today a transaction may be dated (county.toml [limits]
# future_days). 1: the server's clock may run in UTC while the county's day (UTC+8) has
# begun; a receipt dated two days ahead is a slip, and once recorded it stays.
DEFAULT_FUTURE_DAYS = 1


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of a transaction. ``amount_fen`` > 0 is a debit, < 0 a credit."""

    account: str
    amount_fen: int
    instruction_id: int | None = None


@dataclass(frozen=True, slots=True)
class PostingColumns:
    """Postings as parallel columns: the bulk form of ``list[Posting]``."""

    accounts: Sequence[str]
    amounts_fen: Sequence[int]
    instruction_ids: Sequence[int | None] | None = None

    def __len__(self) -> int:
        return len(self.accounts)

    @classmethod
    def from_postings(cls, postings: Sequence[Posting]) -> "PostingColumns":
        return cls(
            accounts=[p.account for p in postings],
            amounts_fen=[p.amount_fen for p in postings],
            instruction_ids=[p.instruction_id for p in postings],
        )

    def instruction_column(self) -> Sequence[int | None]:
        if self.instruction_ids is None:
            return [None] * len(self.accounts)
        return self.instruction_ids


@dataclass(frozen=True)
class NewTransaction:
    """A transaction to be recorded. The journal assigns id, timestamps and hashes."""

    type: str
    effective_date: date
    description: str
    operator: str
    postings: PostingColumns
    idempotency_key: str | None = None
    reverses_id: int | None = None

    @property
    def period(self) -> str:
        return period_of(self.effective_date)


@dataclass(frozen=True, slots=True)
class StagedTransaction:
    """A transaction whose postings are the rows of a staging table
    (``ledger.db.journal_staged``: ``staging_table``, ``post_staged``)."""

    type: str
    effective_date: date
    description: str
    operator: str
    idempotency_key: str | None = None


def transfer(
    type: str,
    day: date,
    description: str,
    operator: str,
    *,
    debit: str,
    credit: str,
    amount_fen: int,
    idempotency_key: str | None = None,
) -> NewTransaction:
    """A transaction of two postings: ``amount_fen`` debited to ``debit``, credited to
    ``credit``."""
    return NewTransaction(
        type=type,
        effective_date=day,
        description=description,
        operator=operator,
        postings=PostingColumns(accounts=[debit, credit], amounts_fen=[amount_fen, -amount_fen]),
        idempotency_key=idempotency_key,
    )


def period_of(day: date) -> str:
    """The accounting period (month) a date falls in: 2026-11-28 -> "2026-11"."""
    return f"{day.year:04d}-{day.month:02d}"


def check_transaction(tx: NewTransaction) -> list[str]:
    """Every rule a transaction breaks, as readable sentences (empty when it is fine)."""
    problems = header_problems(tx.type, tx.operator)
    postings = tx.postings
    n = len(postings)
    if n == 0:
        problems.append("the transaction has no postings")
        return problems
    if len(postings.amounts_fen) != n or (
        postings.instruction_ids is not None and len(postings.instruction_ids) != n
    ):
        raise ValueError("posting columns have different lengths")  # programmer error
    total = 0
    zero_lines: list[int] = []
    for index, amount in enumerate(postings.amounts_fen):
        if type(amount) is not int:
            # Floats and Decimals must never reach the journal: a programmer error.
            raise TypeError(f"posting {index + 1}: amount must be int fen, got {amount!r}")
        if amount == 0:
            zero_lines.append(index + 1)
        total += amount
    if zero_lines:
        shown = ", ".join(str(i) for i in zero_lines[:10])
        more = f" and {len(zero_lines) - 10} more" if len(zero_lines) > 10 else ""
        problems.append(f"postings with a zero amount: {shown}{more}")
    if total != 0:
        problems.append(unbalanced(total))
    return problems


def date_problems(effective_date: date, today: date, future_days: int) -> list[str]:
    """A transaction may not be dated more than ``future_days`` days after ``today``."""
    latest = today + timedelta(days=future_days)
    if effective_date <= latest:
        return []
    return [
        f"the effective date {effective_date} is in the future: the latest date allowed today "
        f"({today}) is {latest} (limits.future_days = {future_days} in the county "
        "configuration)"
    ]


def header_problems(type_: str, operator: str) -> list[str]:
    """What a transaction's header lacks (its type, its operator)."""
    problems = []
    if not type_:
        problems.append("the transaction has no type")
    if not operator:
        problems.append("the transaction names no operator")
    return problems


def unbalanced(total: int) -> str:
    """The sentence for postings that sum to ``total`` fen instead of 0."""
    side = "debits exceed credits" if total > 0 else "credits exceed debits"
    return f"the postings do not balance: they sum to {total} fen ({side} by {abs(total)} fen)"


@dataclass(frozen=True, slots=True)
class HeaderFields:
    """The recorded header fields that the hash covers, in canonical order."""

    id: int
    type: str
    effective_date: date
    period: str
    description: str
    operator: str
    idempotency_key: str | None
    reverses_id: int | None
    recorded_at: datetime
    posting_count: int


@lru_cache(maxsize=256)  # the transactions of one post_many share one timestamp
def canonical_timestamp(moment: datetime) -> str:
    """Microsecond UTC text of a timestamp, independent of how a driver returns it.

    Timestamps are recorded in UTC; a naive value (SQLite returns those) is taken as UTC.
    """
    offset = moment.utcoffset()
    if offset:
        moment = moment - offset
    return moment.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def transaction_hash(
    prev_hash: str,
    header: HeaderFields,
    accounts: Sequence[str],
    amounts_fen: Sequence[int],
    instruction_ids: Sequence[int | None],
) -> str:
    """SHA-256 of the previous hash, the header and the postings in recorded order.

    Fields are separated by the ASCII unit separator and lines by newlines; neither can
    appear in an account name or a number, and free text is length-prefixed.
    """
    sep = "\x1f"
    lines = (
        f"{a}{sep}{m}{sep}{'' if i is None else i}"
        for a, m, i in zip(accounts, amounts_fen, instruction_ids, strict=True)
    )
    return chunked_transaction_hash(prev_hash, header, [lines])


def chunked_transaction_hash(
    prev_hash: str, header: HeaderFields, chunks: Iterable[Iterable[str]]
) -> str:
    """``transaction_hash`` from the postings' canonical lines (``account``, amount and
    instruction id joined by the unit separator), given in recorded order and in chunks,
    so that 10^6 postings read back from the database never become one list."""
    sep = "\x1f"

    def text(value: str | None) -> str:
        value = value or ""
        return f"{len(value)}:{value}"

    head = sep.join(
        [
            prev_hash,
            str(header.id),
            text(header.type),
            header.effective_date.isoformat(),
            header.period,
            text(header.description),
            text(header.operator),
            text(header.idempotency_key),
            "" if header.reverses_id is None else str(header.reverses_id),
            canonical_timestamp(header.recorded_at),
            str(header.posting_count),
        ]
    )
    digest = hashlib.sha256(head.encode("utf-8"))
    digest.update(b"\n")
    first = True
    for chunk in chunks:
        joined = "\n".join(chunk)
        if not joined:  # an empty chunk (a posting's line is never empty)
            continue
        if not first:
            digest.update(b"\n")
        digest.update(joined.encode("utf-8"))
        first = False
    return digest.hexdigest()


def mirror(postings: PostingColumns) -> PostingColumns:
    """The postings of a reversal: same accounts and instructions, opposite amounts."""
    return PostingColumns(
        accounts=list(postings.accounts),
        amounts_fen=[-a for a in postings.amounts_fen],
        instruction_ids=list(postings.instruction_column()),
    )
