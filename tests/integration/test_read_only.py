"""A read-only engine is refused writes by the database itself, not only by the CLI."""

import pytest
import sqlalchemy as sa

from ledger.db.engine import make_engine
from ledger.db.periods_store import close_period
from ledger.db.uow import UnitOfWork


def test_a_read_only_engine_cannot_write(db_url):
    engine = make_engine(db_url, read_only=True)
    try:
        with UnitOfWork(engine) as uow:
            assert (
                uow.connection.execute(sa.text("SELECT COUNT(*) FROM transactions")).scalar() == 0
            )
        with UnitOfWork(engine) as uow, pytest.raises(sa.exc.DBAPIError, match=r"(?i)read-?only"):
            close_period(uow.connection, "2026-10", operator="auditor")
    finally:
        engine.dispose()
