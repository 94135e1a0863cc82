"""The command line through click's CliRunner: exit codes, stdout and stderr."""

import json

import click
import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from tests.helpers import post_lines

TREASURY = "Assets:Treasury:dibao_rural"
APPROPRIATION = "Income:Appropriation:central:dibao_rural"


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_every_command_and_option_has_help_text():
    missing = []
    for path, command in all_commands(cli):
        if not (command.help or "").strip():
            missing.append(" ".join(path))
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


@pytest.mark.parametrize("path", [p for p, _ in all_commands(cli)], ids=" ".join)
def test_help_runs_for_every_command(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.fixture
def ledger_with_allocation(engine, db_url) -> str:
    with UnitOfWork(engine) as uow:
        post_lines(uow.connection, [(TREASURY, 120_000_00), (APPROPRIATION, -120_000_00)])
        uow.commit()
    engine.dispose()
    return db_url


def invoke(db_url: str, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["--db", db_url, *args], env=env)


def test_db_upgrade_creates_a_usable_database_in_one_command(tmp_path):
    path = tmp_path / "new.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "upgraded from empty" in result.output
    again = CliRunner().invoke(cli, ["--db", str(path), "db", "upgrade"])
    assert "up to date" in again.output
    current = CliRunner().invoke(cli, ["--db", str(path), "db", "current"])
    assert current.exit_code == 0
    verify = CliRunner().invoke(cli, ["--db", str(path), "audit", "verify"])
    assert verify.exit_code == 0 and verify.output.startswith("OK: 0 transactions")


def test_db_current_exits_1_on_an_empty_database(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "e.db"), "db", "current"])
    assert result.exit_code == 1
    assert "empty" in result.output


def test_a_command_where_there_is_no_ledger_says_so_and_creates_no_file(tmp_path):
    path = tmp_path / "ledger.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "batch", "list"])
    assert result.exit_code == 1
    assert f"the database file {path} does not exist" in result.output
    assert "ledger db upgrade" in result.output
    assert not path.exists()


def test_a_command_on_a_database_without_the_schema_names_the_fix(empty_db_url):
    engine = make_engine(empty_db_url)
    with engine.connect():  # a SQLite file exists now, without tables
        pass
    engine.dispose()
    result = CliRunner().invoke(cli, ["--db", empty_db_url, "audit", "verify"])
    assert result.exit_code == 1
    assert "has no ledger schema. Create it with `ledger db upgrade`" in result.output
    assert "Traceback" not in result.output


def test_balance_of_an_account_prefix_in_each_format(ledger_with_allocation):
    table = invoke(ledger_with_allocation, "audit", "balance", "Assets:Treasury")
    assert table.exit_code == 0, table.output
    assert (
        "Assets:Treasury:dibao_rural" in table.output and "120,000.00" in table.output
    )  # for people
    as_json = json.loads(
        invoke(ledger_with_allocation, "audit", "balance", TREASURY, "--format", "json").output
    )
    assert as_json["total_fen"] == 120_000_00
    assert as_json["accounts"][0]["balance_fen"] == 120_000_00
    csv_lines = invoke(
        ledger_with_allocation, "audit", "balance", TREASURY, "--format", "csv"
    ).output.splitlines()
    assert csv_lines == ["account,debits,credits,balance", f"{TREASURY},120000.00,0.00,120000.00"]


def test_balance_as_of_a_date_before_the_posting_is_zero(ledger_with_allocation):
    result = invoke(
        ledger_with_allocation,
        "audit",
        "balance",
        TREASURY,
        "--as-of",
        "2026-11-04",
        "--format",
        "json",
    )
    assert json.loads(result.output)["total_fen"] == 0


def test_trial_balance_is_balanced(ledger_with_allocation):
    result = invoke(ledger_with_allocation, "audit", "trial-balance", "--format", "json")
    document = json.loads(result.output)
    assert document["balanced"] is True
    assert document["debit_total_fen"] == document["credit_total_fen"] == 120_000_00


def test_an_unknown_account_is_a_user_error_not_a_traceback(ledger_with_allocation):
    result = invoke(ledger_with_allocation, "audit", "balance", "Assets:Nothing")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no account is named 'Assets:Nothing'")


def test_a_bad_date_names_the_option(ledger_with_allocation):
    result = invoke(ledger_with_allocation, "audit", "balance", TREASURY, "--as-of", "2026-13-01")
    assert result.exit_code == 2
    assert "--as-of" in result.stderr


def test_reverse_and_show_a_transaction(ledger_with_allocation):
    result = invoke(
        ledger_with_allocation,
        "journal",
        "reverse",
        "1",
        "--reason",
        "wrong source",
        "--operator",
        "finance",
        "--date",
        "2026-11-06",
    )
    assert result.exit_code == 0, result.output
    assert "reversed by transaction 2" in result.output
    shown = json.loads(
        invoke(ledger_with_allocation, "journal", "show", "2", "--format", "json").output
    )
    assert shown["reverses_id"] == 1
    assert [p["amount_fen"] for p in shown["postings"]] == [-120_000_00, 120_000_00]
    again = invoke(
        ledger_with_allocation, "journal", "reverse", "1", "--reason", "x", "--operator", "finance"
    )
    assert again.exit_code == 1
    assert "already reversed by transaction 2" in again.stderr


def test_a_state_change_needs_an_operator(ledger_with_allocation):
    result = invoke(ledger_with_allocation, "journal", "close-period", "2026-10")
    assert result.exit_code == 2
    assert "--operator" in result.stderr


def test_close_period_takes_the_operator_from_the_environment(ledger_with_allocation):
    result = invoke(
        ledger_with_allocation, "journal", "close-period", "2026-10", env={"LEDGER_OPERATOR": "fin"}
    )
    assert result.exit_code == 0, result.output
    bad = invoke(ledger_with_allocation, "journal", "close-period", "2026-1x", "--operator", "fin")
    assert bad.exit_code == 1
    assert "not a period" in bad.stderr


def test_read_only_mode_refuses_writes_and_allows_reads(ledger_with_allocation):
    write = invoke(
        ledger_with_allocation,
        "--read-only",
        "journal",
        "close-period",
        "2026-10",
        "--operator",
        "a",
    )
    assert write.exit_code == 1
    assert "read-only" in write.stderr
    read = CliRunner().invoke(
        cli, ["--db", ledger_with_allocation, "audit", "verify"], env={"LEDGER_READ_ONLY": "1"}
    )
    assert read.exit_code == 0, read.output
