"""Run the dialect-specific SQL files that migrations install beside their tables."""

from importlib.resources import files

from alembic import op


def run_sql_file(name: str) -> None:
    """Execute ``sql/{dialect}/{name}`` statement by statement.

    Statements are separated by a line holding only ``-- statement`` so that trigger and
    function bodies may contain semicolons.
    """
    bind = op.get_bind()
    text = files("ledger.migrations").joinpath("sql", bind.dialect.name, name).read_text("utf-8")
    # The driver's own cursor, without parameters: neither SQLAlchemy nor psycopg then
    # reads ':name' or '%' inside function bodies as placeholders.
    cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for statement in text.split("\n-- statement\n"):
            if statement.strip():
                cursor.execute(statement)
    finally:
        cursor.close()
