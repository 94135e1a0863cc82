"""Migration 0019 (household payments) on a ledger with data, both databases: existing
enrolment versions are nobody's head, the head marker is as fixed as a version's other
columns, and the migration downgrades and upgrades again."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from ledger.db import migrate
from ledger.db.engine import make_engine

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _enrol(connection: sa.Connection) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO roster_imports (id, file_name, file_sha256, row_count, operator,"
            " imported_at) VALUES (1, 'r.csv', :sha, 1, 'alice', :t)"
        ).bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
        {"sha": "0" * 64, "t": NOW},
    )
    connection.execute(
        sa.text(
            "INSERT INTO recipients (id, key, id_number, name, created_at)"
            " VALUES (1, 'R0000001', '130123197001010018', '人1', :t)"
        ).bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
        {"t": NOW},
    )
    connection.exec_driver_sql(
        "INSERT INTO enrolments (recipient_id, program, township, village, household_id,"
        " household_size, amount_fen, bank, account_number, account_holder, start_month,"
        " status, valid_from_import) VALUES (1, 'dibao_rural', 'T01', 'V0101', 'H1', 1,"
        " 60000, 'ICBC', '6217000000000000001', '人1', '2026-01', 'active', 1)"
    )


def test_0019_marks_nobody_head_freezes_the_marker_and_downgrades(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0018_held_release")
        with engine.begin() as connection:
            _enrol(connection)
        migrate.upgrade(engine)
        with engine.connect() as connection:
            head = connection.exec_driver_sql("SELECT household_head FROM enrolments").scalar()
            assert not head
        with pytest.raises(sa.exc.DBAPIError, match="never changes"), engine.begin() as c:
            c.exec_driver_sql("UPDATE enrolments SET household_head = TRUE")
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0018_held_release")
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "household_shares" not in inspector.get_table_names()
            columns = {c["name"] for c in inspector.get_columns("enrolments")}
            assert "household_head" not in columns and "amount_fen" in columns
        # The version trigger of 0016 is back: a version still never changes.
        with pytest.raises(sa.exc.DBAPIError, match="never changes"), engine.begin() as c:
            c.exec_driver_sql("UPDATE enrolments SET amount_fen = 1")
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
