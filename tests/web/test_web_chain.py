"""The console's chain verification runs in a process of its own (ledger.web.chain_child):
it finds a tampered journal on both engines, never hashes in the server's interpreter,
and a database it cannot open is said on the overview, not a crash."""

import pytest
import sqlalchemy as sa

from ledger.db.engine import engine_url, make_engine
from ledger.db.uow import UnitOfWork
from ledger.web import chain
from ledger.web.chain import ChainWatch
from tests.helpers import post_lines
from tests.support.guards import drop_triggers


def test_the_child_process_finds_a_tampered_posting(db_url, monkeypatch):
    writer = make_engine(db_url)
    with UnitOfWork(writer) as uow:
        recorded = post_lines(
            uow.connection,
            [
                ("Assets:Treasury:dibao_rural", 100_00),
                ("Income:Appropriation:central:dibao_rural", -100_00),
            ],
        )
        uow.commit()
    reader = make_engine(db_url, read_only=True)
    watch = ChainWatch(reader)
    fine = watch.check_now()
    assert (fine.ok, fine.transactions, fine.postings, fine.error) == (True, 1, 2, None)
    with writer.begin() as connection:
        drop_triggers(connection, "postings")
        connection.execute(sa.text("UPDATE postings SET amount_fen = amount_fen * 2"))

    def not_here(*_: object) -> None:
        raise AssertionError("verified in the server's own process")

    monkeypatch.setattr(chain, "verify", not_here)  # the child does it, or nobody
    broken = watch.check_now()
    assert broken.ok is False and broken.first_bad_transaction == recorded.id
    assert watch.state == broken
    reader.dispose()
    writer.dispose()


def test_a_database_the_child_cannot_open_is_an_error_on_the_page(tmp_path):
    path = tmp_path / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect():
        pass  # the file exists, without a schema
    state = ChainWatch(engine).check_now()
    assert state.ok is False and state.error and "no such table" in state.error
    engine.dispose()


@pytest.mark.parametrize("read_only", [False, True])
def test_engine_url_names_the_same_sqlite_file_plainly(tmp_path, read_only):
    path = tmp_path / "ledger.db"
    with make_engine(f"sqlite:///{path}").connect():
        pass  # the file
    engine = make_engine(f"sqlite:///{path}", read_only=read_only)
    assert engine_url(engine) == f"sqlite:///{path}"
    engine.dispose()
