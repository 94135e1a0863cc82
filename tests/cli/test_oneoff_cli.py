"""`ledger oneoff ...` and `batch run --urgent` through click's CliRunner."""

import json

import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.county import example_path
from tests.support.oneoff import card, new_case


@pytest.fixture
def runner(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", db_url)
    monkeypatch.setenv("LEDGER_COUNTY", str(example_path()))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def add_args(**changes: str) -> list[str]:
    case = new_case(1)
    values = {
        "--id-number": case.id_number, "--name": "王某", "--household": "H0001",
        "--category": "急难", "--amount": "1500.00", "--township": "T01",
        "--village": "V0101", "--bank": "ICBC", "--account": card(1),
        "--document": "民临救〔2026〕1号", "--reason": "火灾", "--date": "2026-11-01",
    }  # fmt: skip
    values.update(changes)
    return ["oneoff", "add", *[x for pair in values.items() for x in pair], "--operator", "alice"]


def test_a_case_is_added_approved_listed_masked_and_paid_urgently(runner):
    result = invoke(runner, *add_args())
    assert result.exit_code == 0, result.output
    assert "One-off case 1 recorded for R0000001: 1,500.00 yuan; needs 1 checker(s)." in (
        result.output
    )
    result = invoke(runner, "oneoff", "approve", "1", "--operator", "alice")
    assert result.exit_code == 1 and "needs role finance_checker" in result.output
    result = invoke(runner, "oneoff", "approve", "1", "--operator", "checker")
    assert result.exit_code == 0 and "approved by checker" in result.output
    result = invoke(runner, "oneoff", "list", "--format", "json")
    (row,) = json.loads(result.output)
    assert row["status"] == "approved" and row["category"] == "急难型"
    assert row["id_number"] == new_case(1).id_number[:6] + "********" + new_case(1).id_number[-4:]
    result = invoke(
        runner, "batch", "run", "--period", "2026-11", "--urgent", "--operator", "maker"
    )
    assert result.exit_code == 0, result.output
    assert "Created draft one-off batch 1: 2026-11 linshi ICBC, 1 payment, 1,500.00 yuan" in (
        result.output
    )
    result = invoke(runner, "oneoff", "pay", "--period", "2026-11", "--operator", "maker")
    assert "Nothing to pay" in result.output


def test_bad_arguments_are_refused_naming_each_option_and_nothing_is_recorded(runner):
    result = invoke(runner, *add_args(**{"--amount": "1500.001", "--category": "其他"}))
    assert result.exit_code == 1
    assert "--amount:" in result.output and "--category: unknown category '其他'" in result.output
    result = invoke(runner, *add_args(**{"--amount": "6000.00"}))
    assert result.exit_code == 1 and "--over-cap" in result.output
    result = invoke(runner, "oneoff", "list", "--format", "json")
    assert json.loads(result.output) == []


def test_adding_a_case_needs_the_civil_affairs_role(runner):
    result = invoke(runner, *add_args()[:-1], "maker")
    assert result.exit_code == 1 and "needs role civil_affairs" in result.output
