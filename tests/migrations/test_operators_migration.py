"""Migration 0012 on a ledger with history: the historical operator names stay as
written, each resolves to a legacy operator without roles, past approvals are kept."""

import sqlalchemy as sa
from click.testing import CliRunner

from ledger.cli import cli
from ledger.db import migrate
from ledger.db.engine import make_engine
from tests.conftest import RUN_ID

NOW = "2026-10-01 00:00:00"
# Granting a role on PostgreSQL creates a login (cluster-wide): names with the run's id.
LI, WANG = f"li.{RUN_ID}".lower(), f"wang.{RUN_ID}".lower()


def test_an_existing_ledger_upgrades_with_its_names_as_written(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0008_enrolment_account_index")
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO audit_events (occurred_at, operator, action, subject_type,"
                    " subject_id, detail) VALUES (:t, :li, 'x', 'batch', '1', '{}')"
                ),
                {"t": NOW, "li": LI.title()},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO batches (period, program, bank, kind, sequence, state,"
                    " instruction_count, amount_fen_total, created_by, created_at,"
                    " approved_by, approved_at) VALUES ('2026-10', 'p', 'b', 'regular', 0,"
                    " 'approved', 1, 100, :li, :t, :wang, :t)"
                ),
                {"t": NOW, "li": f" {LI}", "wang": WANG.title()},
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            operators = connection.execute(
                sa.text("SELECT name_key, legacy, department FROM operators ORDER BY name_key")
            ).all()
            assert [(k, bool(legacy), d) for k, legacy, d in operators] == [
                (LI, True, None),
                (WANG, True, None),
            ]
            assert connection.execute(sa.text("SELECT count(*) FROM operator_roles")).scalar() == 0
            batch = connection.execute(
                sa.text("SELECT created_by, created_by_key, approved_by FROM batches")
            ).one()
            assert tuple(batch) == (f" {LI}", LI, WANG.title())
            approval = connection.execute(
                sa.text("SELECT operator, operator_key FROM batch_approvals")
            ).one()
            assert tuple(approval) == (WANG.title(), WANG)
            events = connection.execute(sa.text("SELECT operator FROM audit_events")).scalar()
            assert events == LI.title()
    finally:
        engine.dispose()

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--db", empty_db_url, *args])

    # A legacy name can do nothing until granted a role (and a department).
    refused = invoke("journal", "close-period", "2026-09", "--operator", WANG)
    # The legacy record keeps the name as first written.
    assert refused.output == (
        f"Error: operator '{WANG.title()}' needs role finance_checker, holds none\n"
    )
    no_dept = invoke("operators", "grant", WANG, "--role", "finance_checker")
    assert "has no department yet" in no_dept.output
    granted = invoke(
        "operators", "grant", WANG.upper(), "--role", "finance_checker", "--dept", "财政"
    )
    assert granted.exit_code == 0, granted.output
    closed = invoke("journal", "close-period", "2026-09", "--operator", WANG)
    assert closed.exit_code == 0, closed.output
