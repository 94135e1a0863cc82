"""Migration 0004 and the Core tables of ledger.db.schema.batches agree."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ledger.db.schema import metadata

BATCH_TABLES = {"batches", "entitlements", "payment_instructions"}


def test_the_batch_tables_match_the_schema_after_upgrade(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
        tables = set(sa.inspect(connection).get_table_names())
    assert tables >= BATCH_TABLES

    def concerns_batches(diff: object) -> bool:
        return any(name in repr(diff) for name in BATCH_TABLES)

    assert [d for d in diffs if concerns_batches(d)] == []
