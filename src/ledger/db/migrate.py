"""Alembic, configured in code: the migrations ship inside the package.

Alembic is imported by the functions that run it, not with this module: every command
asks for the current revision, and reading one row should not cost loading Alembic.
"""

from importlib.resources import files
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

VERSION_TABLE = "alembic_version"  # Alembic's default, which the migrations keep


def alembic_config() -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("ledger.migrations")))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` in one transaction: DDL is transactional on
    both SQLite and PostgreSQL, so a failed upgrade leaves the database as it was."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no ledger schema), read from Alembic's
    version table the way ``MigrationContext.get_current_revision`` reads it."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    if len(rows) > 1:
        raise RuntimeError(f"the database has {len(rows)} Alembic heads; expected one")
    return str(rows[0][0]) if rows else None


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
