"""Balances: one account, an account prefix, or the whole trial balance, as of a date.

Balances are debit-positive sums of postings. ``as_of`` includes every transaction whose
effective date is on or before that day.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ledger.db.bulk import fetch_all
from ledger.db.schema import accounts, postings, transactions
from ledger.errors import LedgerError


@dataclass(frozen=True, slots=True)
class Balance:
    account: str
    kind: str
    balance_fen: int
    debits_fen: int
    credits_fen: int


def _balances_query(as_of: date | None) -> sa.Select:
    """Per account: balance, debits, credits. The postings are summed by account id
    first and the names joined to the sums, so the database groups integers, not
    names (10^6 payables)."""
    amount = postings.c.amount_fen
    sums = sa.select(
        postings.c.account_id,
        sa.func.sum(amount).label("balance"),
        sa.func.sum(sa.case((amount > 0, amount), else_=0)).label("debits"),
        sa.func.sum(sa.case((amount < 0, amount), else_=0)).label("credits"),
    ).group_by(postings.c.account_id)
    if as_of is not None:
        sums = sums.join(transactions, transactions.c.id == postings.c.transaction_id).where(
            transactions.c.effective_date <= as_of
        )
    by_account = sums.subquery("sums")
    return (
        sa.select(
            accounts.c.name,
            accounts.c.kind,
            by_account.c.balance,
            by_account.c.debits,
            by_account.c.credits,
        )
        .join(by_account, by_account.c.account_id == accounts.c.id)
        .order_by(accounts.c.name)
    )


def _rows(connection: sa.Connection, query: sa.Select) -> list[Balance]:
    return [
        Balance(
            account=row.name,
            kind=row.kind,
            balance_fen=int(row.balance or 0),
            debits_fen=int(row.debits or 0),
            credits_fen=int(row.credits or 0),
        )
        for row in connection.execute(query)
    ]


def _all_rows(connection: sa.Connection, as_of: date | None) -> list[Balance]:
    """Every account's balance, read straight from the driver's cursor: SQLAlchemy's
    per-row result handling was two thirds of a 10^6-account trial balance. The one
    parameter is a ``date``, rendered as a literal."""
    if as_of is not None and not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date, got {as_of!r}")
    query = _balances_query(as_of).compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True}
    )
    return [
        Balance(
            account=name,
            kind=kind,
            balance_fen=int(balance or 0),
            debits_fen=int(debits or 0),
            credits_fen=int(credits or 0),
        )
        for name, kind, balance, debits, credits in fetch_all(connection, str(query))
    ]


def balances(
    connection: sa.Connection, account: str, *, as_of: date | None = None
) -> list[Balance]:
    """The account itself and every account below it (``Liabilities:Payable:dibao``
    covers ``Liabilities:Payable:dibao:R0000001``...). Refused if none is open."""
    prefix = account.rstrip(":")
    opened = connection.execute(
        sa.select(accounts.c.name, accounts.c.kind)
        .where(
            sa.or_(
                accounts.c.name == prefix, accounts.c.name.startswith(prefix + ":", autoescape=True)
            )
        )
        .order_by(accounts.c.name)
    ).all()
    if not opened:
        raise LedgerError(f"no account is named {prefix!r} or starts with {prefix + ':'!r}")
    query = _balances_query(as_of).where(
        sa.or_(accounts.c.name == prefix, accounts.c.name.startswith(prefix + ":", autoescape=True))
    )
    found = {b.account: b for b in _rows(connection, query)}
    # Accounts without postings (yet, or as of that date) still show, at zero.
    return [found.get(row.name, Balance(row.name, row.kind, 0, 0, 0)) for row in opened]


def trial_balance(connection: sa.Connection, *, as_of: date | None = None) -> list[Balance]:
    """Every account with postings, and its balance; the balances sum to 0."""
    return _all_rows(connection, as_of)


DEFAULT_DEPTH = 3  # Assets:Treasury:dibao_rural, Liabilities:Payable:dibao_rural, ...


@dataclass(frozen=True, slots=True)
class RolledUp:
    """Accounts summed under their first ``depth`` name segments."""

    account: str
    kind: str
    balance_fen: int
    debits_fen: int
    credits_fen: int
    accounts: int


def roll_up(items: list[Balance], depth: int | None) -> list[RolledUp]:
    """Sum balances by account level: ``depth`` 3 turns every
    ``Liabilities:Payable:dibao_rural:R...`` into one ``Liabilities:Payable:dibao_rural``
    line; None keeps every account. Sums of int fen: the totals do not change."""
    groups: dict[str, list[int]] = {}
    kinds: dict[str, str] = {}
    for b in items:
        name = b.account if depth is None else ":".join(b.account.split(":")[:depth])
        entry = groups.setdefault(name, [0, 0, 0, 0])
        entry[0] += b.balance_fen
        entry[1] += b.debits_fen
        entry[2] += b.credits_fen
        entry[3] += 1
        kinds[name] = b.kind
    return [
        RolledUp(name, kinds[name], v[0], v[1], v[2], v[3]) for name, v in sorted(groups.items())
    ]


def account_balance(connection: sa.Connection, account: str, *, as_of: date | None = None) -> int:
    """The balance of exactly one account, 0 if it has no postings."""
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(postings.c.amount_fen), 0))
        .join(accounts, accounts.c.id == postings.c.account_id)
        .where(accounts.c.name == account)
    )
    if as_of is not None:
        query = query.join(transactions, transactions.c.id == postings.c.transaction_id).where(
            transactions.c.effective_date <= as_of
        )
    return int(connection.execute(query).scalar_one())
