"""Passwords and lock-outs in the database, on SQLite and PostgreSQL; the console over a
PostgreSQL ledger."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.county import example_path, load_county
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.passwords import hash_password, password_matches
from ledger.web.app import WebSettings, create_app
from ledger.web.signin import SignInPolicy, SignInRefused, set_password, sign_in
from tests.web.conftest import sign_in as sign_in_client

POLICY = SignInPolicy(lock_after=3, lock_minutes=10)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _attempt(engine: Engine, password: str, at: datetime, name: str = "auditor") -> str:
    with UnitOfWork(engine) as uow:
        try:
            return sign_in(uow, name, password, policy=POLICY, remote="127.0.0.1", now=at).key
        except SignInRefused as refused:
            return str(refused)


def test_a_password_is_stored_as_a_salted_scrypt_hash(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        set_password(uow, " Auditor", "a-long-secret", by="admin")
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT password_hash FROM web_credentials")).scalar()
    assert stored.startswith("scrypt$16384$8$1$") and "a-long-secret" not in stored
    assert password_matches("a-long-secret", stored)
    assert not password_matches("a-long-secreT", stored)
    assert hash_password("a-long-secret") != hash_password("a-long-secret")  # salted


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-one", "at least 10"),
        ("my-auditor-pw", "operator's name"),
        (" padded-pass ", "spaces"),
    ],
)
def test_a_weak_password_is_refused(engine: Engine, password: str, problem: str) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match=problem):
        set_password(uow, "auditor", password, by="admin")


def test_the_nth_failure_locks_out_until_the_minutes_have_passed(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        set_password(uow, "auditor", "right-password", by="admin")
    assert _attempt(engine, "wrong", T0) == "wrong operator name or password"
    assert _attempt(engine, "wrong", T0 + timedelta(minutes=1)) == "wrong operator name or password"
    assert _attempt(engine, "right-password", T0 + timedelta(minutes=2)) == "auditor"  # resets
    for minute in (3, 4, 5):
        _attempt(engine, "wrong", T0 + timedelta(minutes=minute))
    locked = _attempt(engine, "right-password", T0 + timedelta(minutes=14, seconds=59))
    assert "locked out until 2026-12-01 17:15" in locked  # China time
    assert _attempt(engine, "right-password", T0 + timedelta(minutes=15)) == "auditor"
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT failed_count, locked_until FROM web_credentials")
        ).one()
    assert tuple(row) == (0, None)


def test_an_unknown_operator_gets_the_words_of_a_wrong_password(engine: Engine) -> None:
    assert _attempt(engine, "whatever", T0, name="nobody") == "wrong operator name or password"
    assert _attempt(engine, "whatever", T0, name="checker") == "wrong operator name or password"


def test_the_console_signs_in_and_reads_on_both_engines(db_url: str) -> None:
    writer = make_engine(db_url)
    with UnitOfWork(writer) as uow:
        set_password(uow, "auditor", "console-pass-01", by="admin")
    reader = make_engine(db_url, read_only=True)
    app = create_app(
        reader, writer, load_county(example_path()), WebSettings(), start_chain_watch=False
    )
    app.config["LEDGER"].chain.check_now()
    client = app.test_client()
    sign_in_client(client, "auditor", "console-pass-01")
    for path in ("/", "/findings", "/trial-balance", "/search"):
        assert client.get(path).status_code == 200, path
    assert "完整" in client.get("/").text  # an empty journal verifies
    with reader.connect() as connection, pytest.raises(sa.exc.DBAPIError):
        connection.execute(sa.text("DELETE FROM web_credentials"))
    reader.dispose()
    writer.dispose()
