"""Opening accounts and looking them up, set-based so that 10^6 payables open in seconds."""

from collections.abc import Collection, Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from ledger.accounts import account_row
from ledger.db.bulk import copy_rows, executemany, fetch_all
from ledger.db.schema import accounts
from ledger.errors import LedgerError

# Above this many names, lookups go through a temporary table instead of IN lists.
_IN_LIST_LIMIT = 500


def account_ids(connection: sa.Connection, names: Collection[str]) -> dict[str, int]:
    """Ids of those of ``names`` that exist (missing names are simply absent)."""
    unique = list(dict.fromkeys(names))
    if not unique:
        return {}
    if len(unique) <= _IN_LIST_LIMIT:
        found = connection.execute(
            sa.select(accounts.c.name, accounts.c.id).where(accounts.c.name.in_(unique))
        )
        return {name: int(id_) for name, id_ in found}
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS ledger_wanted_accounts (name VARCHAR(200))"
    )
    connection.exec_driver_sql("DELETE FROM ledger_wanted_accounts")
    # In name order, so that the join walks the accounts' name index sequentially.
    copy_rows(connection, "ledger_wanted_accounts", ("name",), [(n,) for n in sorted(unique)])
    rows = fetch_all(
        connection,
        "SELECT a.name, a.id FROM accounts a JOIN ledger_wanted_accounts w ON w.name = a.name",
    )
    result = {name: int(id_) for name, id_ in rows}
    connection.exec_driver_sql("DELETE FROM ledger_wanted_accounts")
    return result


def open_accounts(
    connection: sa.Connection,
    names: Iterable[str],
    *,
    treasury_negative_programs: Collection[str] = (),
) -> dict[str, int]:
    """Open every account of ``names`` that is not open yet; return all their ids.

    Opening is idempotent. A name outside the chart of accounts is refused (nothing is
    opened then). ``treasury_negative_programs`` are programs whose treasury may go
    negative (an advance from the county budget).
    """
    wanted = list(dict.fromkeys(names))
    existing = account_ids(connection, wanted)
    # In name order, so that 10^6 new names append to the unique name index instead of
    # landing all over it (and account ids follow name order).
    missing = sorted(name for name in wanted if name not in existing)
    if not missing:
        return existing
    now = datetime.now(UTC)
    # The driver gets what SQLAlchemy's DateTime would send: SQLite stores UTC as text
    # without an offset (read back as UTC), PostgreSQL takes the aware value.
    created_at: object = (
        now
        if connection.dialect.name == "postgresql"
        else now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    )
    negative_ok = set(treasury_negative_programs)
    rows: list[tuple[object, ...]] = []
    bad: list[str] = []
    for name in missing:
        row = account_row(name)
        if row is None:
            bad.append(name)
            continue
        if row[3] in negative_ok and name.startswith("Assets:Treasury:"):
            row = account_row(name, treasury_may_go_negative=True)
        rows.append((*row, created_at))  # type: ignore[misc]
    if bad:
        shown = ", ".join(repr(n) for n in bad[:5])
        raise LedgerError(
            f"{len(bad)} account name(s) are not in the chart of accounts: {shown}"
            " (see docs/ledger.md for the account families)"
        )
    # Plain tuples through the driver: 10^6 new payables open in seconds (DESIGN §8).
    executemany(
        connection,
        "INSERT INTO accounts (name, kind, balance_rule, program, source, bank, recipient,"
        " township, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return existing | account_ids(connection, missing)
