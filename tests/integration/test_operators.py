"""Identity and maker-checker on a real SQLite file and a real PostgreSQL database:
registered operators, the role each command needs, approvals one by one (N of M), and
the database's own refusals."""

import dataclasses
import getpass
from datetime import date

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger import payments
from ledger.approval import ApprovalRules, Band
from ledger.cli import cli
from ledger.county import example_path, load_county
from ledger.db import operators_store
from ledger.db.schema import audit_events, batch_approvals, batches
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.operators import COMMAND_ROLES, Role
from tests.conftest import RUN_ID
from tests.integration.test_batches import PEOPLE, arrange
from tests.unit.test_operators import full_width

COUNTY = load_county(example_path())
TOTAL = sum(p.amount_fen for p in PEOPLE)  # the batch's total: 1,750.50


def county_with(*bands: Band):
    return dataclasses.replace(COUNTY, approval=ApprovalRules(tuple(bands)))


def run_batch(engine, county=COUNTY, operator="maker") -> int:
    arrange(engine)
    with UnitOfWork(engine) as uow:
        return payments.run_batches(uow, county, "2026-11", operator=operator).created[0].id


def approve(engine, batch_id: int, operator: str) -> payments.ApprovalResult:
    with UnitOfWork(engine) as uow:
        return payments.record_approval(uow, batch_id, operator=operator, today=date(2026, 11, 3))


def invoke(db_url: str, *args: str):
    return CliRunner().invoke(cli, ["--db", db_url, *args])


@pytest.mark.parametrize(
    "variant", ["Maker", " maker", "MAKER\u3000", full_width("maker"), full_width("MAKER") + " "]
)
def test_case_space_and_full_width_variants_of_the_maker_are_refused(engine, variant):
    batch_id = run_batch(engine)
    with pytest.raises(LedgerError, match="maker-checker"):
        approve(engine, batch_id, variant)
    with engine.connect() as connection:
        assert connection.execute(sa.select(batches.c.state)).scalar_one() == "draft"
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(batch_approvals)).scalar_one()
            == 0
        )


def test_the_command_line_refuses_a_variant_of_the_maker(db_url, engine):
    batch_id = run_batch(engine)
    result = invoke(db_url, "batch", "approve", str(batch_id), "--operator", " Maker")
    assert result.exit_code == 1
    assert "maker-checker" in result.output


def test_the_database_refuses_an_approval_by_the_maker_and_any_change_to_approvals(engine):
    batch_id = run_batch(engine)
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="maker"):
        connection.execute(
            batch_approvals.insert().values(
                batch_id=batch_id,
                operator="Maker",
                operator_key="maker",
                department="财政",
                approved_at=sa.func.now(),
            )
        )
    approve(engine, batch_id, "checker")
    # Refused as the maker's (0012) or as an approval already recorded (0016), whichever
    # trigger the database runs first.
    with (
        engine.begin() as connection,
        pytest.raises(sa.exc.DBAPIError, match=r"maker|recorded once"),
    ):
        connection.execute(sa.text("UPDATE batches SET approved_by = created_by"))
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        connection.execute(sa.text("UPDATE batch_approvals SET operator_key = 'maker'"))
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        connection.execute(sa.text("DELETE FROM batch_approvals"))
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="never change"):
        connection.execute(
            sa.text("UPDATE batches SET created_by = 'someone', created_by_key = 'someone'")
        )


def test_the_database_refuses_an_approval_the_rule_does_not_allow(engine):
    batch_id = run_batch(engine, county_with(Band(TOTAL - 1, 2)))
    approve(engine, batch_id, "checker")
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="approvals its rule"):
        connection.execute(sa.text("UPDATE batches SET state = 'approved'"))
    with (
        engine.begin() as connection,
        pytest.raises(sa.exc.DBAPIError, match=r"(?i)unique|duplicate"),
    ):
        connection.execute(
            batch_approvals.insert().values(
                batch_id=batch_id,
                operator="checker",
                operator_key="checker",
                department="财政",
                approved_at=sa.func.now(),
            )
        )
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="finance_checker"):
        connection.execute(
            batch_approvals.insert().values(
                batch_id=batch_id,
                operator="cashier",
                operator_key="cashier",
                department="财政",
                approved_at=sa.func.now(),
            )
        )


def test_a_batch_of_exactly_the_band_amount_needs_one_checker(engine):
    batch_id = run_batch(engine, county_with(Band(TOTAL, 2)))
    result = approve(engine, batch_id, "checker")
    assert result.approved and result.accrual_transaction_id is not None


def test_a_batch_one_fen_above_the_band_needs_two_distinct_checkers(engine):
    batch_id = run_batch(engine, county_with(Band(TOTAL - 1, 2)))
    first = approve(engine, batch_id, "checker")
    assert (first.approved, first.approvals, first.required) == (False, 1, 2)
    assert first.accrual_transaction_id is None
    with pytest.raises(LedgerError, match="already approved"):
        approve(engine, batch_id, " CHECKER")
    second = approve(engine, batch_id, "checker2")
    assert second.approved and second.accrual_transaction_id is not None
    with engine.connect() as connection:
        row = connection.execute(sa.select(batches)).one()
        assert (row.state, row.approved_by) == ("approved", "checker2")
        assert [
            r.operator
            for r in connection.execute(sa.select(batch_approvals).order_by(batch_approvals.c.id))
        ] == ["checker", "checker2"]


def test_above_the_department_band_one_checker_is_of_another_department(engine):
    batch_id = run_batch(engine, county_with(Band(TOTAL - 1, 2, other_department=True)))
    approve(engine, batch_id, "checker")
    both_finance = approve(engine, batch_id, "checker2")
    assert not both_finance.approved
    assert "department other than the maker's (财政)" in both_finance.missing
    done = approve(engine, batch_id, "min.checker")
    assert done.approved and done.approvals == 3


def test_the_cli_says_what_an_approval_still_needs(db_url, engine):
    batch_id = run_batch(engine, county_with(Band(TOTAL - 1, 2)))
    first = invoke(db_url, "batch", "approve", str(batch_id), "--operator", "checker")
    assert first.exit_code == 0, first.output
    assert (
        "approval 1 by checker recorded; still a draft: its rule needs 1 more checker(s)"
        in first.output
    )
    second = invoke(db_url, "batch", "approve", str(batch_id), "--operator", "checker2")
    assert "approved by checker2; accrual posted" in second.output


def test_an_unregistered_operator_is_refused(db_url, engine):
    batch_id = run_batch(engine)
    result = invoke(db_url, "batch", "approve", str(batch_id), "--operator", "stranger")
    assert result.exit_code == 1
    assert result.output == (
        "Error: operator 'stranger' is not registered: needs role finance_checker, holds none "
        "(an administrator registers operators with `ledger operators add`)\n"
    )


def test_a_disabled_operator_is_refused(db_url, engine):
    batch_id = run_batch(engine)
    disabled = invoke(db_url, "operators", "disable", "checker", "--operator", "admin")
    assert disabled.exit_code == 0, disabled.output
    result = invoke(db_url, "batch", "approve", str(batch_id), "--operator", "checker")
    assert result.exit_code == 1
    assert result.output == (
        "Error: operator 'checker' is disabled: needs role finance_checker, holds finance_checker\n"
    )
    with pytest.raises(LedgerError, match="disabled"):
        approve(engine, batch_id, "checker")


@pytest.mark.parametrize("command", sorted(COMMAND_ROLES))
def test_each_role_is_refused_outside_its_commands(db_url, command):
    needed = COMMAND_ROLES[command]
    for role in Role:
        if role == needed:
            continue
        # --operator first: it is checked before any other argument is read.
        result = invoke(db_url, *command.split(), "--operator", f"only.{role.value}")
        assert result.exit_code == 1, (command, role, result.output)
        assert result.output == (
            f"Error: operator 'only.{role.value}' needs role {needed.value}, holds {role.value}\n"
        ), command


def test_every_command_that_takes_an_operator_has_a_role():
    def walk(group, path=()):
        for name, command in getattr(group, "commands", {}).items():
            yield from walk(command, (*path, name))
        if not hasattr(group, "commands"):
            yield " ".join(path), group

    with_operator = {
        path for path, command in walk(cli) if any(p.name == "operator" for p in command.params)
    }
    assert with_operator == set(COMMAND_ROLES)


# Operators added on PostgreSQL are LOGIN roles (cluster-wide): named with the run's id.
QIAN = f"qian.{RUN_ID}".lower()
WU = f"wu.{RUN_ID}".lower()


def test_operators_are_added_listed_granted_revoked_and_disabled(db_url):
    add = invoke(
        db_url,
        "operators",
        "add",
        f" {QIAN.title()}",
        "--role",
        "finance_maker",
        "--full-name",
        "钱财务",
        "--dept",
        "财政",
        "--operator",
        "admin",
    )
    assert add.exit_code == 0, add.output
    twice = invoke(
        db_url,
        "operators",
        "add",
        full_width(QIAN.upper()),
        "--role",
        "finance_maker",
        "--full-name",
        "钱",
        "--dept",
        "财政",
        "--operator",
        "admin",
    )
    assert twice.exit_code == 1 and f"already registered as '{QIAN}'" in twice.output
    mixed = invoke(
        db_url,
        "operators",
        "add",
        "sun2",
        "--role",
        "auditor",
        "--role",
        "finance_maker",
        "--full-name",
        "孙",
        "--dept",
        "审计",
        "--operator",
        "admin",
    )
    assert mixed.exit_code == 1 and "separation of duties" in mixed.output
    assert (
        invoke(
            db_url,
            "operators",
            "grant",
            QIAN,
            "--role",
            "finance_checker",
            "--operator",
            "admin",
        ).exit_code
        == 0
    )
    listed = invoke(db_url, "operators", "list", "--format", "csv")
    assert f'{QIAN},钱财务,财政,"finance_checker,finance_maker",active' in listed.output
    assert (
        invoke(
            db_url,
            "operators",
            "revoke",
            QIAN,
            "--role",
            "finance_maker",
            "--operator",
            "admin",
        ).exit_code
        == 0
    )
    assert invoke(db_url, "operators", "disable", QIAN, "--operator", "admin").exit_code == 0
    listed = invoke(db_url, "operators", "list", "--format", "csv")
    assert f"{QIAN},钱财务,财政,finance_checker,disabled" in listed.output
    by_maker = invoke(
        db_url,
        "operators",
        "add",
        "x1",
        "--role",
        "auditor",
        "--full-name",
        "X",
        "--dept",
        "审计",
        "--operator",
        "maker",
    )
    assert (
        by_maker.output
        == "Error: operator 'maker' needs role admin, holds finance_checker, finance_maker\n"
    )


def test_operators_are_never_deleted(engine):
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="never deleted"):
        connection.execute(sa.text("DELETE FROM operators WHERE name_key = 'checker'"))
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="fixed"):
        connection.execute(
            sa.text("UPDATE operators SET name_key = 'x' WHERE name_key = 'checker'")
        )


def test_the_login_is_recorded_beside_the_operator(engine):
    batch_id = run_batch(engine)
    approve(engine, batch_id, "checker")
    expected = "postgres" if engine.dialect.name == "postgresql" else getpass.getuser()
    with engine.connect() as connection:
        logins = {r[0] for r in connection.execute(sa.select(audit_events.c.db_login))}
        assert logins == {expected}
        assert connection.execute(sa.select(batch_approvals.c.db_login)).scalar_one() == expected
        assert connection.execute(sa.select(batches.c.db_login)).scalar_one() == expected
        assert (
            connection.execute(sa.text("SELECT DISTINCT db_login FROM transactions")).scalar_one()
            == expected
        )


def test_the_first_administrator_needs_no_operator(empty_db_url):
    from ledger.db import migrate
    from ledger.db.engine import make_engine

    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    engine.dispose()
    first = invoke(
        empty_db_url,
        "operators",
        "add",
        WU,
        "--role",
        "admin",
        "--full-name",
        "吴",
        "--dept",
        "财政",
    )
    assert first.exit_code == 0, first.output
    second = invoke(
        empty_db_url,
        "operators",
        "add",
        "zhao.civil",
        "--role",
        "civil_affairs",
        "--full-name",
        "赵",
        "--dept",
        "民政",
    )
    assert second.exit_code == 1
    assert "give --operator" in second.output
    engine = make_engine(empty_db_url)
    with engine.connect() as connection:
        assert operators_store.any_admin(connection)
    engine.dispose()
