"""Recording transactions: the journal's only write path.

``post`` validates a ``NewTransaction`` (every problem reported at once), takes the
journal's write lock, writes the postings in bulk and then the header, whose insert
trigger re-checks balance, closed periods, the hash chain and balance rules inside the
database. Nothing here commits: the caller's unit of work does.

The other write paths are built on it: ``journal_staged.post_staged`` (postings staged
with SQL), ``journal_reversal.reverse`` (corrections), ``journal_many.post_many`` (many
small transactions); ``periods_store.close_period`` closes a period.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import repeat
from typing import Any

import sqlalchemy as sa

from ledger.db import kept_totals
from ledger.db.bulk import fill_temporary_table
from ledger.db.schema import accounts, periods, postings, transactions
from ledger.errors import LedgerError, ValidationError
from ledger.journal import (
    DEFAULT_FUTURE_DAYS,
    GENESIS_HASH,
    HeaderFields,
    NewTransaction,
    PostingColumns,
    StagedTransaction,
    check_transaction,
    date_problems,
    period_of,
    transaction_hash,
)
from ledger.operators import os_login

# Any constant works; it names the journal's lock among PostgreSQL advisory locks.
JOURNAL_LOCK_KEY = 0x4C454447  # "LEDG"

# Key in ``Connection.info`` of the county's ``[limits] future_days`` (set by the unit
# of work; ``DEFAULT_FUTURE_DAYS`` where none was given).
FUTURE_DAYS_INFO = "ledger.future_days"


def _future_problems(
    connection: sa.Connection, effective_date: date, now: datetime | None
) -> list[str]:
    """A date beyond today (``now``'s day, default the clock) plus the margin."""
    today = now.date() if now is not None else date.today()
    margin = int(connection.info.get(FUTURE_DAYS_INFO, DEFAULT_FUTURE_DAYS))
    return date_problems(effective_date, today, margin)


@dataclass(frozen=True, slots=True)
class Recorded:
    """A transaction as recorded: its id and hash, and whether this call created it."""

    id: int
    hash: str
    created: bool


JOURNAL_POSTED_INFO = "ledger.journal_posted"


def lock_journal(connection: sa.Connection) -> None:
    """Serialise journal writers. SQLite's BEGIN IMMEDIATE already holds the write lock;
    PostgreSQL takes a transaction-scoped advisory lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(JOURNAL_LOCK_KEY)))


def post(connection: sa.Connection, tx: NewTransaction, *, now: datetime | None = None) -> Recorded:
    """Record ``tx``; return the recorded transaction.

    With an idempotency key already used: the same content returns the existing
    transaction (``created`` False); different content is refused.
    """
    problems = check_transaction(tx) + _future_problems(connection, tx.effective_date, now)
    if problems:
        raise ValidationError("the transaction was refused:", problems)
    lock_journal(connection)

    if tx.idempotency_key is not None:
        existing = _find_by_key(connection, tx.idempotency_key)
        if existing is not None:
            if _same_content(connection, existing, tx):
                return Recorded(id=existing.id, hash=existing.hash, created=False)
            raise LedgerError(
                f"idempotency key {tx.idempotency_key!r} was already used by transaction "
                f"{existing.id} with different content"
            )

    period = tx.period
    if _period_closed(connection, period):
        raise LedgerError(f"period {period} is closed: nothing more can be posted dated in it")

    if tx.reverses_id is not None:
        _check_reversible(connection, tx.reverses_id)

    names = tx.postings.accounts
    instruction_ids = tx.postings.instruction_column()
    _stage_postings(connection, names, tx.postings.amounts_fen, instruction_ids)
    _unknown_accounts(connection)
    new_id, prev_hash = _chain_end(connection)
    header = _header(new_id, tx, len(tx.postings), now, reverses_id=tx.reverses_id)
    digest = transaction_hash(prev_hash, header, names, tx.postings.amounts_fen, instruction_ids)
    # Posting ids follow the staged order, which is the order the hash covers.
    connection.exec_driver_sql(
        "INSERT INTO postings (transaction_id, account_id, amount_fen, instruction_id) "
        f"SELECT {new_id}, a.id, s.amount_fen, s.instruction_id FROM {_STAGE} s "
        "JOIN accounts a ON a.name = s.account ORDER BY s.seq"
    )
    connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
    _insert_header(connection, header, prev_hash, digest)
    kept_totals.add_postings(connection, new_id, new_id)
    return Recorded(id=new_id, hash=digest, created=True)


def _header(
    new_id: int,
    tx: NewTransaction | StagedTransaction,
    posting_count: int,
    now: datetime | None,
    *,
    reverses_id: int | None = None,
) -> HeaderFields:
    """The header fields of a transaction about to be recorded (what its hash covers)."""
    return HeaderFields(
        id=new_id,
        type=tx.type,
        effective_date=tx.effective_date,
        period=period_of(tx.effective_date),
        description=tx.description,
        operator=tx.operator,
        idempotency_key=tx.idempotency_key,
        reverses_id=reverses_id,
        recorded_at=(now or datetime.now(UTC)).astimezone(UTC),
        posting_count=posting_count,
    )


def _insert_header(
    connection: sa.Connection, header: HeaderFields, prev_hash: str, digest: str
) -> None:
    """The header, last: its insert trigger (SQLite) or deferred constraint trigger
    (PostgreSQL) checks the transaction as a whole."""
    try:
        connection.execute(
            transactions.insert().values(
                id=header.id,
                type=header.type,
                effective_date=header.effective_date,
                period=header.period,
                description=header.description,
                operator=header.operator,
                idempotency_key=header.idempotency_key,
                reverses_id=header.reverses_id,
                recorded_at=header.recorded_at,
                posting_count=header.posting_count,
                prev_hash=prev_hash,
                hash=digest,
                db_login=os_login(),
            )
        )
        # The unit of work's commit then writes an audit event naming the new journal
        # head, if no other event does (ledger.db.events.flush_events).
        connection.info[JOURNAL_POSTED_INFO] = True
    except sa.exc.DBAPIError as error:
        message = database_refusal(error)
        if message is None:
            raise
        raise LedgerError(f"the database refused the transaction: {message}") from error


def _unknown_accounts(connection: sa.Connection, *, by_id: bool = False) -> None:
    """Refuse staged postings into accounts that are not open (``by_id``: those whose
    ``account_id`` the name did not resolve)."""
    sql = (
        f"SELECT DISTINCT s.account FROM {_STAGE} s WHERE s.account_id IS NULL LIMIT 6"
        if by_id
        else f"SELECT DISTINCT s.account FROM {_STAGE} s "
        "LEFT JOIN accounts a ON a.name = s.account WHERE a.id IS NULL LIMIT 6"
    )
    unknown = [row[0] for row in connection.exec_driver_sql(sql)]
    if unknown:
        shown = ", ".join(repr(n) for n in unknown[:5])
        more = " and more" if len(unknown) > 5 else ""
        raise LedgerError(f"accounts that are not open: {shown}{more}")


def last_link(connection: sa.Connection, table: sa.Table) -> sa.Row[Any] | None:
    """The last row (id, hash) of a hash-chained table (``transactions``,
    ``audit_events``); None while it is empty."""
    query: sa.Select[Any] = sa.select(table.c.id, table.c.hash)
    return connection.execute(query.order_by(table.c.id.desc()).limit(1)).first()


def _chain_end(connection: sa.Connection) -> tuple[int, str]:
    """The id the next transaction takes and the hash it chains to."""
    last = last_link(connection, transactions)
    if last is None:
        return 1, GENESIS_HASH
    return int(last.id) + 1, str(last.hash)


_STAGE = "ledger_staged_postings"
_STAGE_COLUMNS = [
    ("seq", "BIGINT"),
    ("account", "VARCHAR(200)"),
    ("amount_fen", "BIGINT"),
    ("instruction_id", "BIGINT"),
    ("account_id", "BIGINT"),  # post_staged only: the account, if the caller knows it
]


def _stage_postings(
    connection: sa.Connection,
    names: Sequence[str],
    amounts_fen: Sequence[int],
    instruction_ids: Sequence[int | None],
) -> None:
    fill_temporary_table(
        connection,
        _STAGE,
        _STAGE_COLUMNS,
        zip(range(len(names)), names, amounts_fen, instruction_ids, repeat(None), strict=False),
    )


def database_refusal(error: sa.exc.DBAPIError) -> str | None:
    """The ledger's own message from a trigger refusal, or None for other errors."""
    text = str(error.orig)
    marker = "ledger: "
    if marker not in text:
        return None
    return text[text.index(marker) + len(marker) :].splitlines()[0]


def load_postings(connection: sa.Connection, transaction_id: int) -> PostingColumns:
    rows = connection.execute(
        sa.select(accounts.c.name, postings.c.amount_fen, postings.c.instruction_id)
        .join(accounts, accounts.c.id == postings.c.account_id)
        .where(postings.c.transaction_id == transaction_id)
        .order_by(postings.c.id)
    ).all()
    return PostingColumns(
        accounts=[r.name for r in rows],
        amounts_fen=[int(r.amount_fen) for r in rows],
        instruction_ids=[None if r.instruction_id is None else int(r.instruction_id) for r in rows],
    )


def _period_closed(connection: sa.Connection, period: str) -> bool:
    status = connection.execute(
        sa.select(periods.c.status).where(periods.c.period == period)
    ).scalar()
    return status == "closed"


def _check_reversible(connection: sa.Connection, transaction_id: int) -> None:
    exists = connection.execute(
        sa.select(transactions.c.id).where(transactions.c.id == transaction_id)
    ).first()
    if exists is None:
        raise LedgerError(f"transaction {transaction_id} does not exist")
    reversal = connection.execute(
        sa.select(transactions.c.id).where(transactions.c.reverses_id == transaction_id)
    ).scalar()
    if reversal is not None:
        raise LedgerError(
            f"transaction {transaction_id} was already reversed by transaction {reversal}"
        )


def _find_by_key(connection: sa.Connection, key: str) -> sa.Row | None:
    return connection.execute(
        sa.select(transactions).where(transactions.c.idempotency_key == key)
    ).first()


def _same_content(connection: sa.Connection, existing: sa.Row, tx: NewTransaction) -> bool:
    if (
        existing.type != tx.type
        or existing.effective_date != tx.effective_date
        or existing.description != tx.description
        or existing.reverses_id != tx.reverses_id
        or existing.posting_count != len(tx.postings)
    ):
        return False
    recorded = load_postings(connection, int(existing.id))
    return (
        list(recorded.accounts) == list(tx.postings.accounts)
        and list(recorded.amounts_fen) == list(tx.postings.amounts_fen)
        and list(recorded.instruction_column()) == list(tx.postings.instruction_column())
    )
