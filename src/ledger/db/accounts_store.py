"""Opening accounts, set-based so that 10^6 payables open in seconds."""

from collections.abc import Collection, Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from ledger.accounts import DIMENSIONS, account_row
from ledger.db.bulk import fill_temporary_table
from ledger.db.schema.base import Timestamp
from ledger.errors import LedgerError

_STAGE = "ledger_staged_accounts"
_COLUMNS = ("name", "kind", "balance_rule", *DIMENSIONS)


def open_accounts(
    connection: sa.Connection,
    names: Iterable[str],
    *,
    treasury_negative_programs: Collection[str] = (),
) -> int:
    """Open every account of ``names`` that is not open yet; return how many were opened.

    Opening is idempotent. A name outside the chart of accounts is refused and then
    nothing is opened. ``treasury_negative_programs`` are programs whose treasury may go
    negative (an advance from the county budget); it matters only when the treasury
    account is first opened.
    """
    fill_temporary_table(connection, _STAGE, [("name", "VARCHAR(200)")], ((n,) for n in names))
    missing = [
        row[0]
        for row in connection.exec_driver_sql(
            f"SELECT DISTINCT s.name FROM {_STAGE} s "
            "LEFT JOIN accounts a ON a.name = s.name WHERE a.id IS NULL"
        ).all()
    ]
    connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
    if not missing:
        return 0
    negative_ok = set(treasury_negative_programs)
    rows = []
    bad: list[str] = []
    for name in missing:
        try:
            row = account_row(name)
        except LedgerError:
            bad.append(name)
            continue
        if row[3] in negative_ok and name.startswith("Assets:Treasury:"):
            row = account_row(name, treasury_may_go_negative=True)
        rows.append(row)
    if bad:
        shown = ", ".join(repr(n) for n in sorted(bad)[:5])
        raise LedgerError(
            f"{len(bad)} account name(s) are not in the chart of accounts: {shown}"
            " (see docs/ledger.md for the account families)"
        )
    new_stage = _STAGE + "_new"
    fill_temporary_table(connection, new_stage, [(c, "VARCHAR(200)") for c in _COLUMNS], rows)
    column_list = ", ".join(_COLUMNS)
    connection.execute(
        sa.text(
            f"INSERT INTO accounts ({column_list}, created_at) "
            # In name order, so that 10^6 new names append to the unique name index
            # instead of landing all over it.
            f"SELECT {column_list}, :created_at FROM {new_stage} ORDER BY name"
        ).bindparams(sa.bindparam("created_at", type_=Timestamp)),
        {"created_at": datetime.now(UTC)},
    )
    connection.exec_driver_sql(f"DELETE FROM {new_stage}")
    return len(rows)
