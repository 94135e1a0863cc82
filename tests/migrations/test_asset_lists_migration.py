"""Migration 0016 on a ledger with data: the widened checks accept the new kinds and
reasons and still refuse unknown ones; it downgrades and upgrades again."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from ledger.db import migrate
from ledger.db.engine import make_engine

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _import(connection: sa.Connection, kind: str) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO refdata_imports (kind, file_name, file_sha256, row_count, operator,"
            " imported_at) VALUES (:k, 'f.csv', :sha, 0, 'carol', :t)"
        ).bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
        {"k": kind, "sha": kind.ljust(64, "0"), "t": NOW},
    )


def test_the_asset_kinds_are_accepted_after_0016_and_gone_after_its_downgrade(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0015_i17_holds")
        with engine.begin() as connection:
            _import(connection, "staff")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            _import(connection, "vehicles")
        migrate.upgrade(engine)
        with engine.begin() as connection:
            for kind in ("vehicles", "property", "business", "provident_fund"):
                _import(connection, kind)
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            _import(connection, "boats")
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0015_i17_holds")
        with engine.connect() as connection:
            kinds = connection.execute(sa.text("SELECT kind FROM refdata_imports")).scalars()
            assert list(kinds) == ["staff"]
            assert "ref_vehicles" not in sa.inspect(connection).get_table_names()
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            _import(connection, "vehicles")
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
