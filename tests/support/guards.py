"""Set up what the workflow can no longer produce: a statement run with a table's
guard triggers off, and back on after it (the database refuses such edits since
migration 0016). Also what an insider with DDL rights does before tampering.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def triggers_off(connection: sa.Connection, *tables: str) -> Iterator[None]:
    """The user triggers of ``tables`` dropped (SQLite) or disabled (PostgreSQL) inside
    the block, restored on leaving it (in the same database transaction)."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        for table in tables:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    saved = []
    for table in tables:
        saved += connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            (table,),
        ).all()
    for name, _ in saved:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    for _, sql in saved:
        connection.exec_driver_sql(sql)


def drop_triggers(connection: sa.Connection, *tables: str) -> None:
    """Drop every guard trigger of ``tables`` for good: the insider with DDL rights."""
    for table in tables:
        if connection.dialect.name == "postgresql":
            names = connection.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                (table,),
            ).scalars()
            for name in list(names):
                connection.exec_driver_sql(f"DROP TRIGGER {name} ON {table}")
        else:
            names = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                (table,),
            ).scalars()
            for name in list(names):
                connection.exec_driver_sql(f"DROP TRIGGER {name}")
