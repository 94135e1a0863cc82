"""Small builders shared by the tests."""

from datetime import date

import sqlalchemy as sa

from ledger.db.accounts_store import open_accounts
from ledger.db.journal_store import Recorded, post
from ledger.journal import NewTransaction, Posting, PostingColumns


def new_tx(
    postings: list[tuple[str, int]],
    *,
    day: date = date(2026, 11, 5),
    type_: str = "test",
    key: str | None = None,
    operator: str = "tester",
    description: str = "test transaction",
) -> NewTransaction:
    return NewTransaction(
        type=type_,
        effective_date=day,
        description=description,
        operator=operator,
        postings=PostingColumns.from_postings([Posting(a, m) for a, m in postings]),
        idempotency_key=key,
    )


def post_lines(
    connection: sa.Connection, postings: list[tuple[str, int]], **kwargs: object
) -> Recorded:
    """Open the accounts and post; for arranging a test's ledger."""
    open_accounts(connection, [a for a, _ in postings])
    return post(connection, new_tx(postings, **kwargs))  # type: ignore[arg-type]
