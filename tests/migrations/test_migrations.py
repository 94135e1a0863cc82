"""Alembic owns the schema: upgrades work on an empty database, and the migrated
schema is exactly what ``ledger.db.schema`` describes."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledger.db import migrate
from ledger.db.engine import make_engine
from ledger.db.schema import metadata


def test_upgrade_on_an_empty_database_reaches_head(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        # Upgrading again is a no-op.
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_models_and_migrations_agree(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_migrations_have_one_head_and_a_linear_history():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert not revision.is_merge_point, f"{revision.revision} is a merge point"
