"""Decisions, once made, are frozen by the database itself (issue 16, migration 0016).

Each attack of the issue is run as raw SQL on a ledger built through the services (an
exported batch, a finding, a roster); the database refuses it, on SQLite and PostgreSQL,
while the legitimate moves (status transitions, closing the current enrolment version,
a finding's workflow) still pass.
"""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ledger import payments
from ledger.db.uow import UnitOfWork
from ledger.findings import service
from tests.support.books import COUNTY, PEOPLE, Books
from tests.support.findings import refdata
from tests.support.guards import triggers_off
from tests.support.roster import add_people

DIVERTED = "6222020000000000000"


@pytest.fixture
def books(engine, tmp_path) -> Books:
    books = Books(engine, tmp_path)
    books.export()
    return books


def refused(engine: sa.Engine, sql: str, match: str) -> None:
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match=match):
        connection.execute(sa.text(sql))


def test_the_payee_of_an_approved_instruction_cannot_be_changed(books):
    for column, value in [
        ("account_number", f"'{DIVERTED}'"),
        ("account_holder", "'李四'"),
        ("bank", "'icbc'"),
        ("amount_fen", "amount_fen + 1"),
        ("recipient_id", "recipient_id + 1"),
    ]:
        refused(
            books.engine,
            f"UPDATE payment_instructions SET {column} = {value} WHERE id = 1",
            "payee and amount never change",
        )
    refused(books.engine, "DELETE FROM payment_instructions WHERE id = 3", "never deleted")
    # The outcome still moves: status transitions stay allowed.
    with books.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE payment_instructions SET status = 'settled' WHERE id = 1")
        )
    assert books.statuses()[books.e2e(1)] == "settled"


def test_who_approved_a_batch_and_its_file_hash_never_change(books):
    for sql in [
        "UPDATE batches SET approved_by = 'someone'",
        "UPDATE batches SET approved_at = '2020-01-01 00:00:00'",
        "UPDATE batches SET file_sha256 = '" + "0" * 64 + "'",
        "UPDATE batches SET exported_by = 'someone'",
        "UPDATE batches SET state = 'draft'",
        "UPDATE batches SET amount_fen_total = amount_fen_total + 1",
    ]:
        refused(books.engine, sql, r"recorded once|maker|approver")
    refused(books.engine, "DELETE FROM batches", r"never deleted|FOREIGN KEY|foreign key")
    with books.engine.begin() as connection:  # its lifecycle still moves forward
        connection.execute(sa.text("UPDATE batches SET state = 'partially_reconciled'"))


def test_a_draft_batch_is_not_marked_approved_without_its_state(engine, tmp_path):
    books = Books(engine, tmp_path)
    with UnitOfWork(engine) as uow:
        add_people(uow.connection, PEOPLE)
        uow.commit()
    with UnitOfWork(engine) as uow:
        (created,) = payments.run_batches(uow, COUNTY, "2026-11", operator="maker").created
    with UnitOfWork(engine) as uow:
        payments.approve(uow, created.id, operator="checker")
    assert books.state(created.id) == "approved"
    refused(engine, "UPDATE batches SET approved_by = 'checker2'", "recorded once|approver")


def test_an_enrolment_version_cannot_be_edited_only_closed_once(books):
    refused(
        books.engine,
        f"UPDATE enrolments SET account_number = '{DIVERTED}' WHERE id = 1",
        "enrolment version never changes",
    )
    refused(books.engine, "UPDATE recipients SET name = '某某' WHERE id = 1", "never change")
    refused(books.engine, "DELETE FROM enrolments WHERE id = 1", "never deleted")
    with books.engine.begin() as connection:
        connection.execute(sa.text("UPDATE enrolments SET valid_to_import = 1 WHERE id = 1"))
    refused(
        books.engine,
        "UPDATE enrolments SET valid_to_import = NULL WHERE id = 1",
        "enrolment version never changes",
    )
    refused(books.engine, "UPDATE roster_imports SET operator = 'x'", "append-only")


def test_an_audit_event_cannot_be_edited_or_deleted(books):
    refused(books.engine, "UPDATE audit_events SET operator = 'someone'", "append-only")
    refused(books.engine, "DELETE FROM audit_events", "append-only")


def _a_finding(engine: sa.Engine) -> int:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO findings (fingerprint, rule, category, severity, subject_type,"
                " subject_id, period, amount_fen, recovered_fen, evidence, summary, status,"
                " first_detected_at, last_detected_at) VALUES ('f1', 'D01', 'diverted',"
                " 'high', 'recipient', 'R0000001', '2026-11', 100, 0, '{}', 's', 'open',"
                " :now, :now)"
            ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
            {"now": now},
        )
        finding_id = int(connection.execute(sa.text("SELECT id FROM findings")).scalar_one())
        connection.execute(
            sa.text(
                "INSERT INTO finding_events (finding_id, occurred_at, operator, action)"
                " VALUES (:f, :now, 'auditor', 'detected')"
            ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
            {"f": finding_id, "now": now},
        )
    return finding_id


def test_a_finding_is_not_verified_outside_its_workflow(engine):
    finding_id = _a_finding(engine)
    refused(engine, "UPDATE findings SET status = 'verified'", "finding event that records it")
    refused(engine, "UPDATE findings SET rule = 'D02'", "never change")
    refused(engine, "DELETE FROM findings", "never deleted")
    refused(engine, "UPDATE finding_events SET action = 'verified'", "append-only")
    with UnitOfWork(engine) as uow:  # the workflow still moves it
        service.dismiss(uow, finding_id, operator="auditor", reason="a test")
    with engine.connect() as connection:
        status = connection.execute(sa.text("SELECT status FROM findings")).scalar_one()
    assert status == "dismissed"


def test_reference_rows_and_grants_never_change(books):
    death = {"id_number": "130123198001011234", "name": "王䶮", "death_date": "2026-10-01"}
    refdata(books.engine, "deaths", [{**death, "source": "公安户籍"}])
    refused(books.engine, "UPDATE ref_deaths SET death_date = '2027-01-01'", "written once")
    refused(books.engine, "DELETE FROM ref_deaths", "written once")
    refused(books.engine, "UPDATE refdata_imports SET operator = 'x'", "append-only")
    refused(books.engine, "UPDATE operator_roles SET granted_by = 'x'", "never changed")
    refused(books.engine, "UPDATE operators SET full_name = 'x'", "fixed")


def test_a_test_can_still_arrange_what_the_workflow_cannot(books):
    with books.engine.begin() as connection, triggers_off(connection, "payment_instructions"):
        connection.execute(
            sa.text(f"UPDATE payment_instructions SET account_number = '{DIVERTED}' WHERE id = 1")
        )
    refused(
        books.engine,
        "UPDATE payment_instructions SET account_number = '1' WHERE id = 1",
        "never change",
    )
