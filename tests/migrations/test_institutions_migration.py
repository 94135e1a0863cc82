"""Migration 0020 (集中供养 institutions) on a ledger with data, both databases: existing
enrolment versions live in no institution, the institution is as fixed as a version's
other columns, and the migration downgrades and upgrades again."""

import pytest
import sqlalchemy as sa
from alembic import command

from ledger.db import migrate
from ledger.db.engine import make_engine
from tests.migrations.test_households_migration import _enrol

BEFORE = "0019_i18_deductions"


def test_0020_leaves_everyone_at_home_freezes_the_institution_and_downgrades(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, BEFORE)
        with engine.begin() as connection:
            _enrol(connection)
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT institution FROM enrolments").all() == [
                (None,)
            ]
        with pytest.raises(sa.exc.DBAPIError, match="never changes"), engine.begin() as c:
            c.exec_driver_sql("UPDATE enrolments SET institution = 'JLY01'")
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, BEFORE)
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "institution_payments" not in inspector.get_table_names()
            columns = {c["name"] for c in inspector.get_columns("enrolments")}
            assert "institution" not in columns and "household_head" in columns
        # The version trigger of 0019 is back: the head marker is still fixed.
        with pytest.raises(sa.exc.DBAPIError, match="never changes"), engine.begin() as c:
            c.exec_driver_sql("UPDATE enrolments SET household_head = TRUE")
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
