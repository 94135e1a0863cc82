"""Real databases for the tests: a SQLite file and a PostgreSQL database per test.

PostgreSQL: the server named by LEDGER_TEST_PG_URL (default: the local server,
postgres@127.0.0.1:5432/test) is used when reachable; each test run creates a migrated
template database and each test gets its own copy, all dropped at the end. When the
server is unreachable the PostgreSQL tests are skipped with the reason, unless
LEDGER_TEST_REQUIRE_PG=1 (set by CI), which makes that a failure.
"""

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from ledger.db import migrate
from ledger.db.engine import make_engine
from tests.support.operators import register_test_operators

PG_ADMIN_URL = os.environ.get(
    "LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("LEDGER_TEST_REQUIRE_PG", "") == "1"
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"


class PostgresServer:
    """Creates and drops this run's databases on the test server."""

    def __init__(self, admin_url: str) -> None:
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.template = f"ledger_tpl_{RUN_ID}"
        self.created: list[str] = []
        self._counter = 0

    def url_for(self, database: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)

    def create_template(self) -> None:
        self._execute(f'CREATE DATABASE "{self.template}"')
        self.created.append(self.template)
        engine = make_engine(self.url_for(self.template))
        migrate.upgrade(engine)
        with engine.begin() as connection:
            register_test_operators(connection)
        engine.dispose()

    def new_database(self, *, migrated: bool = True) -> str:
        self._counter += 1
        name = f"ledger_t_{RUN_ID}_{self._counter}"
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        self._execute(f'CREATE DATABASE "{name}"{template}')
        self.created.append(name)
        return self.url_for(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)
        self.drop_roles(f"{name}_")  # the database's group roles (ledger operators add)

    def drop_all(self) -> None:
        for name in reversed(list(self.created)):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()
        self.drop_roles(RUN_ID.lower())
        self.admin.dispose()

    def drop_roles(self, part: str) -> None:
        """Drop the roles (cluster-wide) whose names contain ``part``: this run's logins
        and group roles, never anyone else's (the tests name theirs with RUN_ID)."""
        with self.admin.connect() as connection:
            names = [
                row[0]
                for row in connection.exec_driver_sql(
                    "SELECT rolname FROM pg_roles WHERE strpos(rolname, %(p)s) > 0", {"p": part}
                )
            ]
            for role in names:
                connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer(PG_ADMIN_URL)
        with server.admin.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as error:  # any failure to connect means: no server
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(error).__name__}: {error}"
        if REQUIRE_PG:
            pytest.fail(reason + " (LEDGER_TEST_REQUIRE_PG=1 makes this a failure)")
        pytest.skip(reason)
    server.create_template()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.begin() as connection:
        register_test_operators(connection)
    engine.dispose()
    # Fold the WAL into the file so that copying the file alone copies the database.
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """The URL of a migrated, empty database of each kind, private to this test."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    url = server.new_database()
    yield url
    server.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no schema) of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    url = server.new_database(migrated=False)
    yield url
    server.drop(url)
