"""Recording transactions: the journal's only write path.

``post`` validates a ``NewTransaction`` (every problem reported at once), takes the
journal's write lock, writes the postings in bulk and then the header, whose insert
trigger re-checks balance, closed periods, the hash chain and balance rules inside the
database. Nothing here commits: the caller's unit of work does.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ledger.db.bulk import fill_temporary_table
from ledger.db.schema import accounts, periods, postings, transactions
from ledger.errors import LedgerError, ValidationError
from ledger.journal import (
    GENESIS_HASH,
    HeaderFields,
    NewTransaction,
    PostingColumns,
    check_transaction,
    mirror,
    transaction_hash,
)

# Any constant works; it names the journal's lock among PostgreSQL advisory locks.
JOURNAL_LOCK_KEY = 0x4C454447  # "LEDG"


@dataclass(frozen=True, slots=True)
class Recorded:
    """A transaction as recorded: its id and hash, and whether this call created it."""

    id: int
    hash: str
    created: bool


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
    problems = check_transaction(tx)
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
    unknown = [
        row[0]
        for row in connection.exec_driver_sql(
            f"SELECT DISTINCT s.account FROM {_STAGE} s "
            "LEFT JOIN accounts a ON a.name = s.account WHERE a.id IS NULL LIMIT 6"
        )
    ]
    if unknown:
        shown = ", ".join(repr(n) for n in unknown[:5])
        more = " and more" if len(unknown) > 5 else ""
        raise LedgerError(f"accounts that are not open: {shown}{more}")

    last = connection.execute(
        sa.select(transactions.c.id, transactions.c.hash)
        .order_by(transactions.c.id.desc())
        .limit(1)
    ).first()
    new_id = 1 if last is None else int(last.id) + 1
    prev_hash = GENESIS_HASH if last is None else str(last.hash)
    recorded_at = (now or datetime.now(UTC)).astimezone(UTC)
    header = HeaderFields(
        id=new_id,
        type=tx.type,
        effective_date=tx.effective_date,
        period=period,
        description=tx.description,
        operator=tx.operator,
        idempotency_key=tx.idempotency_key,
        reverses_id=tx.reverses_id,
        recorded_at=recorded_at,
        posting_count=len(tx.postings),
    )
    digest = transaction_hash(prev_hash, header, names, tx.postings.amounts_fen, instruction_ids)
    # Posting ids follow the staged order, which is the order the hash covers.
    connection.exec_driver_sql(
        "INSERT INTO postings (transaction_id, account_id, amount_fen, instruction_id) "
        f"SELECT {new_id}, a.id, s.amount_fen, s.instruction_id FROM {_STAGE} s "
        "JOIN accounts a ON a.name = s.account ORDER BY s.seq"
    )
    connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
    try:
        connection.execute(
            transactions.insert().values(
                id=new_id,
                type=tx.type,
                effective_date=tx.effective_date,
                period=period,
                description=tx.description,
                operator=tx.operator,
                idempotency_key=tx.idempotency_key,
                reverses_id=tx.reverses_id,
                recorded_at=recorded_at,
                posting_count=len(names),
                prev_hash=prev_hash,
                hash=digest,
            )
        )
    except sa.exc.DBAPIError as error:
        message = database_refusal(error)
        if message is None:
            raise
        raise LedgerError(f"the database refused the transaction: {message}") from error
    return Recorded(id=new_id, hash=digest, created=True)


_STAGE = "ledger_staged_postings"


def _stage_postings(
    connection: sa.Connection,
    names: Sequence[str],
    amounts_fen: Sequence[int],
    instruction_ids: Sequence[int | None],
) -> None:
    fill_temporary_table(
        connection,
        _STAGE,
        [
            ("seq", "BIGINT"),
            ("account", "VARCHAR(200)"),
            ("amount_fen", "BIGINT"),
            ("instruction_id", "BIGINT"),
        ],
        zip(range(len(names)), names, amounts_fen, instruction_ids, strict=True),
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


def reverse(
    connection: sa.Connection,
    transaction_id: int,
    *,
    operator: str,
    effective_date: date,
    reason: str,
    idempotency_key: str | None = None,
) -> Recorded:
    """Record the reversal of ``transaction_id``: mirrored postings, linked to it."""
    lock_journal(connection)
    original = connection.execute(
        sa.select(transactions.c.id, transactions.c.type).where(transactions.c.id == transaction_id)
    ).first()
    if original is None:
        raise LedgerError(f"transaction {transaction_id} does not exist")
    _check_reversible(connection, transaction_id)
    return post(
        connection,
        NewTransaction(
            type="reversal",
            effective_date=effective_date,
            description=f"reversal of transaction {transaction_id} ({original.type}): {reason}",
            operator=operator,
            postings=mirror(load_postings(connection, transaction_id)),
            idempotency_key=idempotency_key,
            reverses_id=transaction_id,
        ),
    )


def close_period(connection: sa.Connection, period: str, *, operator: str) -> None:
    """Close ``period`` (YYYY-MM): from now on nothing dated inside it can be posted."""
    _check_period_text(period)
    row = connection.execute(sa.select(periods.c.status).where(periods.c.period == period)).first()
    now = datetime.now(UTC)
    if row is not None and row.status == "closed":
        raise LedgerError(f"period {period} is already closed")
    if row is None:
        connection.execute(
            periods.insert().values(
                period=period, status="closed", closed_at=now, closed_by=operator
            )
        )
    else:
        connection.execute(
            periods.update()
            .where(periods.c.period == period)
            .values(status="closed", closed_at=now, closed_by=operator)
        )


def _check_period_text(period: str) -> None:
    try:
        year, month = period.split("-")
        date(int(year), int(month), 1)
        if len(year) != 4 or len(month) != 2:
            raise ValueError
    except ValueError:
        raise LedgerError(f"not a period (YYYY-MM): {period!r}") from None


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
