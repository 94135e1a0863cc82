"""On PostgreSQL the operator is the database login: real LOGIN roles, created by the
test (named with the run's id: roles are cluster-wide) in the test's own database, and
dropped after."""

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from ledger.cli import cli
from ledger.county import example_path
from ledger.db.engine import make_engine
from ledger.db.schema import metadata
from ledger.operators import Role
from tests.conftest import RUN_ID
from tests.integration.test_batches import arrange

pytestmark = pytest.mark.postgres

MAKER, CHECKER, AUDITOR, ADMIN, CIVIL = (
    f"{r}_{RUN_ID}".lower() for r in ("maker", "checker", "auditor", "admin", "civil")
)
# What the auditor's findings workflow writes; everything else is SELECT only.
AUDITOR_WRITES = {"findings", "finding_events", "audit_events"}


@pytest.fixture
def pg_ledger(pg_server):
    url = pg_server.new_database()
    database = make_url(url).database
    yield url
    pg_server.drop(url)
    with pg_server.admin.connect() as connection:
        for role in (
            MAKER,
            CHECKER,
            AUDITOR,
            ADMIN,
            CIVIL,
            *(f"{database}_{r.value}" for r in Role),
        ):
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


def as_login(url: str, login: str) -> str:
    return make_url(url).set(username=login).render_as_string(hide_password=False)


def invoke(url: str, *args: str):
    return CliRunner().invoke(cli, ["--db", url, *args])


def register(url: str) -> None:
    """The administrator's login is made by the DBA (superuser); it adds the others, as
    docs/operations.md tells a county to."""
    first = invoke(url, "operators", "add", ADMIN, "--role", "admin", "--full-name", "A",
                   "--dept", "财政", "--operator", "admin")  # fmt: skip
    assert first.exit_code == 0, first.output
    admin_url = as_login(url, ADMIN)
    for name, role, dept in (
        (MAKER, "finance_maker", "财政"),
        (CHECKER, "finance_checker", "财政"),
        (AUDITOR, "auditor", "审计"),
        (CIVIL, "civil_affairs", "民政"),
    ):
        result = invoke(admin_url, "operators", "add", name, "--role", role, "--full-name",
                        name, "--dept", dept, "--operator", ADMIN)  # fmt: skip
        assert result.exit_code == 0, result.output


def test_the_operator_is_the_login_and_the_database_refuses_the_maker_as_approver(
    pg_ledger, tmp_path
):
    register(pg_ledger)
    engine = make_engine(pg_ledger)
    arrange(engine)
    engine.dispose()
    county = str(example_path())
    maker_url, checker_url = as_login(pg_ledger, MAKER), as_login(pg_ledger, CHECKER)

    run = invoke(maker_url, "batch", "run", "--period", "2026-11", "--county", county,
                 "--sheet-dir", str(tmp_path), "--operator", MAKER)  # fmt: skip
    assert run.exit_code == 0, run.output
    # A clerk who types another name does not become that person.
    pretend = invoke(maker_url, "batch", "approve", "1", "--operator", CHECKER)
    assert pretend.exit_code == 1
    assert f"is not the database login '{MAKER}'" in pretend.output

    checker = make_engine(checker_url)
    try:
        with checker.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="maker"):
            connection.execute(sa.text("UPDATE batches SET approved_by = created_by"))
        with checker.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="maker"):
            connection.execute(
                sa.text(
                    "INSERT INTO batch_approvals (batch_id, operator, operator_key, department,"
                    " approved_at) VALUES (1, :m, :m, '财政', now())"
                ),
                {"m": MAKER},
            )
    finally:
        checker.dispose()
    maker = make_engine(maker_url)
    try:  # the maker's login may not write approvals at all
        with maker.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="permission"):
            connection.execute(
                sa.text(
                    "INSERT INTO batch_approvals (batch_id, operator, operator_key, department,"
                    " approved_at) VALUES (1, :c, :c, '财政', now())"
                ),
                {"c": CHECKER},
            )
    finally:
        maker.dispose()

    approved = invoke(checker_url, "batch", "approve", "1", "--operator", CHECKER)
    assert approved.exit_code == 0, approved.output
    # The rest of the month, each step by its own login with its group's grants only.
    out = tmp_path / "bank"
    exported = invoke(maker_url, "batch", "export", "1", "--out", str(out), "--county", county,
                      "--operator", MAKER)  # fmt: skip
    assert exported.exit_code == 0, exported.output
    (bank_file,) = out.glob("batch-*.csv")
    answered = invoke(pg_ledger, "demo", "bank", str(bank_file), "--out", str(tmp_path),
                      "--fail", "1")  # fmt: skip
    assert answered.exit_code == 0, answered.output
    (return_file,) = tmp_path.glob("*-return.csv")
    reconciled = invoke(as_login(pg_ledger, CIVIL), "reconcile", "import", str(return_file),
                        "--county", county, "--operator", CIVIL)  # fmt: skip
    assert reconciled.exit_code == 0, reconciled.output
    detected = invoke(as_login(pg_ledger, AUDITOR), "findings", "detect", "--period", "2026-11",
                      "--county", county, "--operator", AUDITOR)  # fmt: skip
    assert detected.exit_code == 0, detected.output
    engine = make_engine(pg_ledger)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT db_login FROM batches")).scalar_one() == MAKER
        assert (
            connection.execute(sa.text("SELECT db_login FROM batch_approvals")).scalar_one()
            == CHECKER
        )
        logins = {
            row[0]: row[1]
            for row in connection.execute(
                sa.text("SELECT action, db_login FROM audit_events WHERE subject_type = 'batch'")
            )
        }
        assert {a: logins[a] for a in ("batch.created", "batch.approval_recorded",
                "batch.approved", "batch.exported")} == {
            "batch.created": MAKER,
            "batch.approval_recorded": CHECKER,
            "batch.approved": CHECKER,
            "batch.exported": MAKER,
        }  # fmt: skip
        return_logins = connection.execute(sa.text("SELECT db_login FROM return_files"))
        assert [r[0] for r in return_logins] == [CIVIL]
        assert (
            connection.execute(
                sa.text("SELECT db_login FROM transactions WHERE type = 'accrual'")
            ).scalar_one()
            == CHECKER
        )
    engine.dispose()


def test_the_auditor_login_cannot_insert_or_update_anything_outside_findings(pg_ledger):
    register(pg_ledger)
    auditor = make_engine(as_login(pg_ledger, AUDITOR))
    refused: dict[str, list[str]] = {}
    try:
        for table in metadata.sorted_tables:
            column = next(iter(table.columns)).name
            for verb, sql in (
                ("INSERT", f"INSERT INTO {table.name} DEFAULT VALUES"),
                ("UPDATE", f"UPDATE {table.name} SET {column} = {column} WHERE false"),
            ):
                with auditor.connect() as connection:
                    try:
                        connection.exec_driver_sql(sql)
                    except sa.exc.ProgrammingError as error:
                        assert "permission denied" in str(error.orig)
                        refused.setdefault(table.name, []).append(verb)
                    except sa.exc.DBAPIError:
                        pass  # allowed, refused by a constraint (DEFAULT VALUES)
                    connection.rollback()
        with auditor.connect() as connection:  # it reads everything
            for table in metadata.sorted_tables:
                connection.exec_driver_sql(f"SELECT count(*) FROM {table.name}")
    finally:
        auditor.dispose()
    every = {t.name for t in metadata.sorted_tables}
    assert set(refused) == every - AUDITOR_WRITES
    assert all(verbs == ["INSERT", "UPDATE"] for verbs in refused.values())
    # audit_events takes inserts only: the journal guards refuse any UPDATE.


def test_a_login_gets_a_password_from_the_environment_or_none_for_peer_or_cert(
    pg_ledger, pg_server, monkeypatch
):
    monkeypatch.setenv("LEDGER_TEST_PASSWORD", "s3cret'quote")
    with_password = invoke(pg_ledger, "operators", "add", MAKER, "--role", "finance_maker",
                           "--full-name", "M", "--dept", "财政", "--password-env",
                           "LEDGER_TEST_PASSWORD", "--operator", "admin")  # fmt: skip
    assert with_password.exit_code == 0, with_password.output
    without = invoke(pg_ledger, "operators", "add", CHECKER, "--role", "finance_checker",
                     "--full-name", "C", "--dept", "财政", "--operator", "admin")  # fmt: skip
    assert without.exit_code == 0, without.output
    unset = invoke(pg_ledger, "operators", "add", AUDITOR, "--role", "auditor", "--full-name",
                   "A", "--dept", "审计", "--password-env", "NOT_SET_ANYWHERE",
                   "--operator", "admin")  # fmt: skip
    assert unset.exit_code == 2 and "NOT_SET_ANYWHERE" in unset.output
    with pg_server.admin.connect() as connection:
        rows = dict(
            connection.exec_driver_sql(
                "SELECT rolname, rolpassword IS NOT NULL FROM pg_authid"
                " WHERE rolname IN (%(m)s, %(c)s, %(a)s)",
                {"m": MAKER, "c": CHECKER, "a": AUDITOR},
            ).all()
        )
    assert rows == {MAKER: True, CHECKER: False}
