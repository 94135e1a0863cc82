"""The audit events' chain and what it proves (issue 16): with the guard triggers
dropped (an insider with DDL rights), every attack of the issue is named by
``audit verify`` (the journal's and the events' verification), some only against a
witnessed checkpoint. SQLite and PostgreSQL.
"""

import hashlib
import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from ledger import payments
from ledger.cli import cli
from ledger.db import state_digest
from ledger.db.checkpoint import check_checkpoint, head_document
from ledger.db.event_verify import verify_events
from ledger.db.migrate import alembic_config
from ledger.db.uow import UnitOfWork
from ledger.db.verify import verify as verify_journal
from ledger.errors import LedgerError
from ledger.findings import service
from ledger.journal import HeaderFields, transaction_hash
from tests.helpers import post_lines
from tests.integration.test_frozen_decisions import DIVERTED, _a_finding
from tests.support.books import COUNTY, FUNDS, PEOPLE, TREASURY, Books, P
from tests.support.guards import drop_triggers
from tests.support.roster import add_people


@pytest.fixture
def books(engine, tmp_path) -> Books:
    """An exported batch."""
    books = Books(engine, tmp_path)
    books.export()
    return books


def problems(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        journal = verify_journal(connection)
        events = verify_events(connection)
    found = [f"transaction {tx}: {m}" for tx, m in journal.problems]
    found += [f"event {e} {s}: {m}" for e, s, m in events.problems]
    return found


def tamper(engine: sa.Engine, tables: tuple[str, ...], *statements: str) -> None:
    with engine.begin() as connection:
        drop_triggers(connection, *tables)
        for statement in statements:
            connection.execute(sa.text(statement))


def test_the_workflow_leaves_a_chain_that_verifies(books):
    assert problems(books.engine) == []
    with books.engine.connect() as connection:
        actions = connection.execute(sa.text("SELECT action FROM audit_events ORDER BY id"))
        assert [a for (a,) in actions] == [
            "operator.added",
            "roster.imported",  # with the allocation posted in the same unit of work
            "batch.created",
            "batch.approval_recorded",
            "batch.approved",
            "batch.exported",
        ]


def test_a_diverted_account_is_named_by_verify(books):
    tamper(
        books.engine,
        ("payment_instructions",),
        f"UPDATE payment_instructions SET account_number = '{DIVERTED}' WHERE id = 2",
    )
    (problem,) = problems(books.engine)
    assert "batch:1: payment_instructions: row 2 differs from what event" in problem


def test_a_rewritten_approver_is_named_by_verify(books):
    tamper(books.engine, ("batches",), "UPDATE batches SET approved_by = 'someone'")
    (problem,) = problems(books.engine)
    assert "batch:1: batches: row 1 differs" in problem


def test_a_deleted_newest_transaction_is_named(books):
    with books.engine.connect() as connection:
        witnessed = head_document(connection)
    newest = witnessed["journal"]["transaction_id"]
    tamper(
        books.engine,
        ("postings", "transactions", "batches", "fund_lineage"),
        f"UPDATE batches SET funding_transaction_id = NULL WHERE funding_transaction_id = {newest}",
        f"DELETE FROM fund_lineage WHERE transaction_id = {newest}",  # its draws, too
        f"DELETE FROM postings WHERE transaction_id = {newest}",
        f"DELETE FROM transactions WHERE id = {newest}",
    )
    found = problems(books.engine)
    assert any(f"names journal head transaction {newest}, which the journal" in p for p in found)
    with books.engine.connect() as connection:
        assert verify_journal(connection).ok  # the journal alone cannot tell
        assert check_checkpoint(connection, witnessed) == [
            f"transaction {newest} witnessed at {witnessed['at']} is gone (the chain was truncated)"
        ]


def _forge(connection: sa.Connection, tx_id: int, prev_hash: str) -> None:
    """A transaction hashed with the project's own function: 1 fen to a new account."""
    accounts = dict(connection.execute(sa.text("SELECT name, id FROM accounts")).all())
    treasury = accounts["Assets:Treasury:dibao_rural"]
    income = accounts["Income:Appropriation:central:dibao_rural"]
    moment = datetime(2026, 11, 30, tzinfo=UTC)
    header = HeaderFields(
        tx_id, "allocation", moment.date(), "2026-11", "forged", "clerk", None, None, moment, 2
    )
    names = [
        "Assets:Treasury:dibao_rural",
        "Income:Appropriation:central:dibao_rural",
    ]
    digest = transaction_hash(prev_hash, header, names, [1, -1], [None, None])
    connection.execute(
        sa.text(
            "INSERT INTO postings (transaction_id, account_id, amount_fen) VALUES"
            f" ({tx_id}, {treasury}, 1), ({tx_id}, {income}, -1)"
        )
    )
    connection.execute(
        sa.text(
            "INSERT INTO transactions (id, type, effective_date, period, description, operator,"
            " recorded_at, posting_count, prev_hash, hash) VALUES (:id, 'allocation', :day,"
            " '2026-11', 'forged', 'clerk', :at, 2, :prev, :hash)"
        ).bindparams(
            sa.bindparam("day", type_=sa.Date),
            sa.bindparam("at", type_=sa.DateTime(timezone=True)),
        ),
        {"id": tx_id, "day": moment.date(), "at": moment, "prev": prev_hash, "hash": digest},
    )


def test_a_forged_transaction_appended_with_a_recomputed_hash_is_named(books):
    with books.engine.begin() as connection:
        drop_triggers(connection, "transactions", "postings")
        last_id, last_hash = connection.execute(
            sa.text("SELECT id, hash FROM transactions ORDER BY id DESC LIMIT 1")
        ).one()
        _forge(connection, int(last_id) + 1, str(last_hash))
    with books.engine.connect() as connection:
        assert verify_journal(connection).ok  # a valid chain, as far as the journal goes
    assert problems(books.engine) == [
        f"event None None: transactions {last_id + 1}..{last_id + 1} follow the last audit "
        "event's journal head: recorded outside the ledger's units of work"
    ]


def test_a_reforged_tail_is_named_against_a_checkpoint(books):
    with books.engine.connect() as connection:
        witnessed = head_document(connection)
    newest = witnessed["journal"]["transaction_id"]
    with books.engine.begin() as connection:
        drop_triggers(connection, "transactions", "postings", "batches", "fund_lineage")
        connection.execute(sa.text("UPDATE batches SET funding_transaction_id = NULL"))
        connection.execute(sa.text(f"DELETE FROM fund_lineage WHERE transaction_id = {newest}"))
        connection.execute(sa.text(f"DELETE FROM postings WHERE transaction_id = {newest}"))
        connection.execute(sa.text(f"DELETE FROM transactions WHERE id = {newest}"))
        prev = connection.execute(
            sa.text(f"SELECT hash FROM transactions WHERE id = {newest - 1}")
        ).scalar_one()
        _forge(connection, newest, str(prev))
    with books.engine.connect() as connection:
        assert verify_journal(connection).ok
        (problem,) = check_checkpoint(connection, witnessed)
    assert f"transaction {newest} witnessed" in problem and "re-forged" in problem
    assert any("which the journal no longer holds" in p for p in problems(books.engine))


def test_an_edited_or_deleted_audit_event_is_named(books):
    tamper(books.engine, ("audit_events",), "UPDATE audit_events SET operator = 'x' WHERE id = 3")
    assert problems(books.engine) == [
        "event 3 None: content does not match its hash: it was changed"
    ]
    tamper(books.engine, (), "DELETE FROM audit_events WHERE id = 2")
    assert "event 3 None: prev_hash does not match" in problems(books.engine)[0]


def test_a_deleted_newest_event_is_named_by_the_state_or_a_checkpoint(books):
    with books.engine.connect() as connection:
        witnessed = head_document(connection)
        newest = witnessed["events"]["event_id"]
    tamper(books.engine, ("audit_events",), f"DELETE FROM audit_events WHERE id = {newest}")
    # The export's event is gone: the batch's rows differ from the approval's event, and
    # the funding transaction follows the last event's journal head.
    first, second = problems(books.engine)
    assert "follow the last audit event's journal head" in first
    assert "batch:1: batches: row 1 differs from what event" in second
    with books.engine.connect() as connection:
        (problem,) = check_checkpoint(connection, witnessed)
    assert f"audit event {newest} witnessed" in problem and "truncated" in problem


def test_an_edited_enrolment_is_named(books):
    tamper(
        books.engine,
        ("enrolments",),
        f"UPDATE enrolments SET account_number = '{DIVERTED}' WHERE id = 3",
    )
    (problem,) = problems(books.engine)
    assert "roster: enrolments: row 3 differs" in problem


def test_a_finding_verified_outside_its_workflow_is_named(engine):
    finding_id = _a_finding(engine)
    with UnitOfWork(engine) as uow:
        service.assign(uow, finding_id, owner="乡镇", due=date(2026, 12, 31), operator="auditor")
    assert problems(engine) == []
    tamper(engine, ("findings",), "UPDATE findings SET status = 'verified'")
    (problem,) = problems(engine)
    assert f"findings: findings: row {finding_id} differs" in problem


def test_an_old_ledger_gets_genesis_events_and_verifies(books):
    config = alembic_config()
    with books.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0016_i16_frozen_decisions")
    with books.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert problems(books.engine) == []
    with books.engine.connect() as connection:
        genesis = connection.execute(
            sa.text("SELECT subject_id FROM audit_events WHERE action = 'chain.genesis'")
        ).all()
    assert sorted(s for (s,) in genesis) == ["batch:1", "operators", "roster"]
    tamper(books.engine, ("enrolments",), "UPDATE enrolments SET amount_fen = 1 WHERE id = 1")
    assert "roster: enrolments: row 1 differs" in problems(books.engine)[0]


def test_the_manifest_carries_a_head_that_verify_checks(books, db_url, tmp_path):
    (manifest,) = (tmp_path / "out").glob("*.manifest.json")
    head = json.loads(manifest.read_text("utf-8"))["chain_head"]
    with books.engine.connect() as connection:
        funding = connection.execute(sa.text("SELECT funding_transaction_id FROM batches"))
        assert head["journal"]["transaction_id"] == funding.scalar_one()
    runner = CliRunner()
    checkpoint = tmp_path / "head.json"
    written = runner.invoke(cli, ["--db", db_url, "audit", "checkpoint", "--out", str(checkpoint)])
    assert written.exit_code == 0, written.output
    ok = runner.invoke(
        cli,
        ["--db", db_url, "audit", "verify", "--checkpoint", str(manifest),
         "--checkpoint", str(checkpoint)],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "2 witnessed head(s) held; the hash chains are intact" in ok.output
    tamper(books.engine, ("audit_events",), "DELETE FROM audit_events WHERE id > 1")
    bad = runner.invoke(cli, ["--db", db_url, "audit", "verify", "--checkpoint", str(manifest)])
    assert bad.exit_code == 1
    assert f"checkpoint {manifest}: audit event {head['events']['event_id']} witnessed" in (
        bad.stderr
    )


def test_a_checkpoint_that_is_not_one_is_refused_with_its_name(db_url, tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"journal": {}}', "utf-8")
    result = CliRunner().invoke(
        cli, ["--db", db_url, "audit", "verify", "--checkpoint", str(wrong)]
    )
    assert result.exit_code == 1
    assert f"{wrong}: not a checkpoint" in result.stderr


def test_postgresql_hashes_the_same_bytes_python_would(books):
    """The server-side chunk digests equal SHA-256 over the same lines in Python."""
    if books.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL hashes server-side; SQLite's lines are hashed in Python")
    spec = state_digest.TABLES["payment_instructions"]
    with books.engine.connect() as connection:
        recorded = state_digest.table_digest(connection, "payment_instructions", "batch_id", 1, 2)
        lines = connection.exec_driver_sql(
            f"SELECT {state_digest._key_text(spec)}, {state_digest._line('postgresql', spec)}"
            " FROM payment_instructions WHERE batch_id = 1 ORDER BY id"
        ).all()
    expected = [
        [str(lines[i][0]), hashlib.sha256("\n".join(r[1] for r in lines[i : i + 2]).encode())
         .hexdigest()[: state_digest.HASH_CHARS]]
        for i in range(0, len(lines), 2)
    ]  # fmt: skip
    assert recorded == {"n": 3, "k": 2, "chunks": expected}


def test_export_refuses_a_batch_edited_behind_the_applications_back(engine, tmp_path):
    books = Books(engine, tmp_path)
    with UnitOfWork(engine) as uow:
        add_people(uow.connection, PEOPLE)
        post_lines(
            uow.connection, [(TREASURY, FUNDS), (f"Income:Appropriation:central:{P}", -FUNDS)]
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        (created,) = payments.run_batches(uow, COUNTY, "2026-11", operator="maker").created
    with UnitOfWork(engine) as uow:
        payments.approve(uow, created.id, operator="checker")
    tamper(
        engine,
        ("payment_instructions",),
        f"UPDATE payment_instructions SET account_number = '{DIVERTED}' WHERE id = 1",
    )
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="differ from the audit"):
        payments.export(uow, COUNTY, created.id, tmp_path / "out", operator="exporter")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.csv"))
    assert books.state(created.id) == "approved"


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE enrolments SET household_head = NOT household_head WHERE id = 2",  # 户主 moved
        "UPDATE enrolments SET institution = 'JLY01' WHERE id = 2",  # into a care home
    ],
    ids=["household_head", "institution"],
)
def test_a_moved_household_head_or_institution_is_named(books, change):
    # Both decide whose card or which institution's account the money goes to.
    assert problems(books.engine) == []
    tamper(books.engine, ("enrolments",), change)
    (problem,) = problems(books.engine)
    assert "roster: enrolments: row 2 differs" in problem


def test_migration_0021_records_the_roster_with_the_head_and_the_institution(books):
    config = alembic_config()
    with books.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020_i18_institutions")
    with books.engine.connect() as connection:
        narrowed = connection.execute(
            sa.text("SELECT state FROM audit_events ORDER BY id DESC LIMIT 1")
        ).scalar_one()
        columns = state_digest.present_columns(connection)
        columns["enrolments"] -= {"household_head", "institution"}
        # What the code of revision 0020 digests: the roster without the two columns.
        assert json.loads(narrowed)["roster"] == state_digest.scope_digest(
            connection, "roster", only=columns
        )
    with books.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with books.engine.connect() as connection:
        actions = connection.execute(
            sa.text("SELECT action, subject_id FROM audit_events ORDER BY id DESC LIMIT 2")
        ).all()
    assert [tuple(a) for a in actions] == [
        ("chain.digest_extended", "roster"),
        ("chain.digest_narrowed", "roster"),
    ]
    assert problems(books.engine) == []
    tamper(books.engine, ("enrolments",), "UPDATE enrolments SET household_head = TRUE")
    assert "roster: enrolments: row 1 differs" in problems(books.engine)[0]
