"""Engines for the two supported databases, configured the one way the ledger needs.

SQLite (the embedded default): WAL journal, foreign keys on, and every write transaction
starts with ``BEGIN IMMEDIATE`` so that two writers serialise at the start instead of
failing half-way. Read-only engines open the file with ``mode=ro``.

PostgreSQL (production, psycopg 3): read-only engines set
``default_transaction_read_only`` so the server refuses every write.
"""

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from ledger.errors import LedgerError

DEFAULT_URL = "sqlite:///ledger.db"
URL_ENV = "LEDGER_DATABASE_URL"
READ_ONLY_ENV = "LEDGER_READ_ONLY"


def database_url(explicit: str | None = None) -> str:
    """The database URL: ``--db``, else ``LEDGER_DATABASE_URL``, else ./ledger.db."""
    url = explicit or os.environ.get(URL_ENV) or DEFAULT_URL
    if "://" not in url:
        # A bare path means a SQLite file.
        url = f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def read_only_from_env() -> bool:
    return os.environ.get(READ_ONLY_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine for ``url``; ``read_only`` makes the database refuse writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, read_only=read_only)
    if parsed.get_backend_name() == "postgresql":
        connect_args: dict[str, Any] = {}
        if read_only:
            connect_args["options"] = "-c default_transaction_read_only=on"
        try:
            return sa.create_engine(parsed, connect_args=connect_args)
        except ImportError:
            raise LedgerError(
                f"{masked_url(url)}: PostgreSQL needs the psycopg driver, which is not "
                "installed. Install it with: pip install 'ledger[postgres]'"
            ) from None
    raise LedgerError(
        f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL"
    )


def engine_url(engine: Engine) -> str:
    """The URL to give ``make_engine`` for another engine on the same database (another
    process's: the password included, a read-only SQLite file named plainly)."""
    url = engine.url
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database.startswith("file:"):
        path = database.removeprefix("file:").split("?", 1)[0]
        url = url.set(database=path, query={})
    return url.render_as_string(hide_password=False)


def masked_url(url: str) -> str:
    """The URL as it may be shown: the password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "the database URL"


def connection_failure(error: sa.exc.OperationalError, url: str | None) -> str | None:
    """One line for a database that cannot be reached (server down, wrong host, port,
    user, password or database name), naming the URL with its password masked; None for
    an error that is not about connecting."""
    if error.statement is not None:
        return None  # the connection was made; a statement failed
    reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    where = masked_url(url) if url else "the database"
    return (
        f"cannot connect to {where}: {reason}. Check that the server is running and that "
        "--db (or LEDGER_DATABASE_URL) names the right host, port, user and database"
    )


def sqlite_file_missing(url: str) -> Path | None:
    """The path of a SQLite ledger file that does not exist (None: it exists, or the
    URL is not a SQLite file)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _sqlite_engine(parsed: sa.URL, *, read_only: bool) -> Engine:
    database = parsed.database or ""
    if database in ("", ":memory:"):
        raise LedgerError("the ledger needs a SQLite file, not an in-memory database")
    path = Path(database)
    if read_only:
        if not path.exists():
            raise LedgerError(f"database file {path} does not exist")
        parsed = parsed.set(database=f"file:{path.resolve()}?mode=ro").update_query_dict(
            {"uri": "true"}
        )
    engine = sa.create_engine(parsed)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 60000")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def is_postgresql(connection: sa.Connection) -> bool:
    return connection.dialect.name == "postgresql"
