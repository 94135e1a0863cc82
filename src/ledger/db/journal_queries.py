"""Read-side queries over the journal for exports and statements (streamed, set-based)."""

from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa

from ledger.db.schema import accounts, postings, transactions

# Postings joined with their transaction and account: the one flat shape auditors take
# into their own tools (CSV, Parquet) and the Beancount export streams.
FLAT_COLUMNS = (
    "transaction_id",
    "effective_date",
    "period",
    "type",
    "description",
    "operator",
    "idempotency_key",
    "reverses_id",
    "recorded_at",
    "hash",
    "posting_id",
    "account",
    "kind",
    "program",
    "source",
    "bank",
    "recipient",
    "township",
    "amount_fen",
    "instruction_id",
)


def flat_postings_query(as_of: date | None = None) -> sa.Select[Any]:
    query = (
        sa.select(
            transactions.c.id.label("transaction_id"),
            transactions.c.effective_date,
            transactions.c.period,
            transactions.c.type,
            transactions.c.description,
            transactions.c.operator,
            transactions.c.idempotency_key,
            transactions.c.reverses_id,
            transactions.c.recorded_at,
            transactions.c.hash,
            postings.c.id.label("posting_id"),
            accounts.c.name.label("account"),
            accounts.c.kind,
            accounts.c.program,
            accounts.c.source,
            accounts.c.bank,
            accounts.c.recipient,
            accounts.c.township,
            postings.c.amount_fen,
            postings.c.instruction_id,
        )
        .select_from(postings)
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .join(accounts, accounts.c.id == postings.c.account_id)
        .order_by(postings.c.transaction_id, postings.c.id)
    )
    if as_of is not None:
        query = query.where(transactions.c.effective_date <= as_of)
    return query


def stream_flat_postings(
    connection: sa.Connection, as_of: date | None = None, *, chunk: int = 50_000
) -> Iterator[sa.Row[Any]]:
    yield from connection.execution_options(yield_per=chunk).execute(flat_postings_query(as_of))


def account_openings(connection: sa.Connection, as_of: date | None = None) -> list[sa.Row[Any]]:
    """Every account with postings up to ``as_of``: name, first posting date, balance."""
    query = (
        sa.select(
            accounts.c.name,
            sa.func.min(transactions.c.effective_date).label("first_date"),
            sa.func.sum(postings.c.amount_fen).label("balance_fen"),
        )
        .select_from(postings)
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .join(accounts, accounts.c.id == postings.c.account_id)
        .group_by(accounts.c.name)
        .order_by(accounts.c.name)
    )
    if as_of is not None:
        query = query.where(transactions.c.effective_date <= as_of)
    return list(connection.execute(query))


def account_statement(
    connection: sa.Connection,
    account: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> tuple[int, list[sa.Row[Any]]]:
    """(opening balance before ``date_from``, postings of the account in the range in
    chain order)."""
    account_id = connection.execute(
        sa.select(accounts.c.id).where(accounts.c.name == account)
    ).scalar()
    if account_id is None:
        from ledger.errors import LedgerError

        raise LedgerError(f"no account is named {account!r}")
    opening = 0
    if date_from is not None:
        opening = int(
            connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(postings.c.amount_fen), 0))
                .join(transactions, transactions.c.id == postings.c.transaction_id)
                .where(postings.c.account_id == account_id)
                .where(transactions.c.effective_date < date_from)
            ).scalar_one()
        )
    query = (
        sa.select(
            transactions.c.id.label("transaction_id"),
            transactions.c.effective_date,
            transactions.c.type,
            transactions.c.description,
            transactions.c.operator,
            postings.c.amount_fen,
            postings.c.instruction_id,
        )
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(postings.c.account_id == account_id)
        .order_by(transactions.c.effective_date, transactions.c.id, postings.c.id)
    )
    if date_from is not None:
        query = query.where(transactions.c.effective_date >= date_from)
    if date_to is not None:
        query = query.where(transactions.c.effective_date <= date_to)
    return opening, list(connection.execute(query))
