"""Migration 0019_i18_deductions refuses to downgrade a ledger that holds supplement
entitlements (分类施保: the narrower kind of the revision before cannot hold them), with
the count and nothing changed; without any it downgrades. Both databases."""

import pytest
import sqlalchemy as sa
from alembic import command

from ledger.db import migrate
from ledger.db.engine import make_engine
from tests.migrations.test_households_migration import NOW, _enrol

AT = "0019_i18_deductions"
BEFORE = "0019_i18_households"


def _downgrade(engine: sa.Engine) -> None:
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)


def test_a_ledger_with_supplements_is_not_downgraded_past_them(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, AT)
        with engine.begin() as connection:
            _enrol(connection)
            connection.execute(
                sa.text(
                    "INSERT INTO batches (id, period, program, bank, kind, sequence, state,"
                    " instruction_count, amount_fen_total, created_by, created_at) VALUES"
                    " (1, '2026-11', 'dibao_rural', 'ICBC', 'regular', 0, 'draft', 1, 5000,"
                    " 'maker', :t)"
                ).bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
                {"t": NOW},
            )
            connection.exec_driver_sql(
                "INSERT INTO entitlements (recipient_id, enrolment_id, program, period, kind,"
                " amount_fen, township, village, batch_id, status, supplement) VALUES (1, 1,"
                " 'dibao_rural', '2026-11', 'supplement', 5000, 'T01', 'V0101', 1, 'open',"
                " 'gaoling')"
            )
        with pytest.raises(RuntimeError, match="1 supplement entitlement"):
            _downgrade(engine)
        assert migrate.current_revision(engine) == AT
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT kind, status FROM entitlements").all()
        assert [tuple(r) for r in rows] == [("supplement", "open")]  # nothing changed
    finally:
        engine.dispose()


def test_a_ledger_without_supplements_downgrades(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, AT)
        with engine.begin() as connection:
            _enrol(connection)
        _downgrade(engine)
        assert migrate.current_revision(engine) == BEFORE
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
