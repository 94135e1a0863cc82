"""`ledger reconcile ...` through click's CliRunner, and the full cycle: export, returns with
failures, re-issue, the supplementary batch's returns, then `ledger audit verify`."""

import json
import os

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger.cli import cli
from ledger.county import example_path
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from tests.helpers import post_lines
from tests.support.returns import csv_return
from tests.support.roster import Person, add_people

COMMANDS = ["import", "cancel", "status", "report"]

PEOPLE = [
    Person("R0000001", "王䶮", "130123198001011234", account_number="6217000000000000001"),
    Person("R0000002", "𠮷田花", "13012319750505432X", township="T02", village="V0201",
           amount_fen=699_50, account_number="6217000000000000002"),
    Person("R0000003", "张三", "130123196001011111", township="T02", village="V0202",
           amount_fen=450_00, account_number="6217000000000000003"),
]  # fmt: skip


@pytest.fixture
def ledger(db_url, tmp_path, monkeypatch):
    engine = make_engine(db_url)
    with UnitOfWork(engine) as uow:
        add_people(uow.connection, PEOPLE)
        post_lines(
            uow.connection,
            [
                ("Assets:Treasury:dibao_rural", 5000_00),
                ("Income:Appropriation:central:dibao_rural", -5000_00),
            ],
        )
        uow.commit()
    engine.dispose()
    monkeypatch.setenv("LEDGER_DATABASE_URL", db_url)
    monkeypatch.setenv("LEDGER_COUNTY", str(example_path()))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_reconcile_command_has_help(command):
    result = CliRunner().invoke(cli, ["reconcile", command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and "--help" in result.output


def _export(runner: CliRunner, batch: int, operator: str = "cashier") -> None:
    assert invoke(runner, "batch", "approve", str(batch), "--operator", "checker").exit_code == 0
    result = invoke(runner, "batch", "export", str(batch), "--out", "out", "--operator", operator)
    assert result.exit_code == 0, result.stderr


def _status(runner: CliRunner) -> dict[int, dict]:
    result = invoke(runner, "reconcile", "status", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {row["id"]: row for row in json.loads(result.output)}


def test_the_full_cycle_ends_with_every_batch_reconciled_and_the_journal_verified(ledger, tmp_path):
    assert (
        invoke(ledger, "batch", "run", "--period", "2026-11", "--operator", "maker").exit_code == 0
    )
    _export(ledger, 1)
    bank_file = tmp_path / "out" / "batch-000001-2026-11-dibao_rural-ICBC.csv"
    first = csv_return(
        bank_file, tmp_path / "back1.csv", {2: ("失败", "户名不符"), 3: ("失败", "户主死亡")}
    )
    result = invoke(
        ledger, "reconcile", "import", str(first), "--operator", "reconciler",
        "--report", str(tmp_path / "reports"),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "3 lines, 1 settled, 2 failed, 0 returned, 0 pending, 0 exceptions" in result.output
    assert "Batch 1 is now reconciled." in result.output
    report = (tmp_path / "reports" / "return-000001-report.html").read_text(encoding="utf-8")
    assert "BE01 户名不符" in report and "MD07 户主死亡" in report

    again = invoke(ledger, "reconcile", "import", str(first), "--operator", "reconciler")
    assert again.exit_code == 0 and "was already imported as return file 1" in again.output
    assert "nothing changed" in again.output

    # Line 3 (the deceased) is cancelled; line 2 is re-issued in a supplementary batch.
    status = _status(ledger)
    assert (status[1]["failed_count"], status[1]["clearing_fen"]) == (2, 0)
    engine = make_engine(os.environ["LEDGER_DATABASE_URL"])
    with engine.connect() as c:
        e2e = dict(
            c.execute(sa.text("SELECT line_number, end_to_end_id FROM payment_instructions")).all()
        )
    engine.dispose()
    refused = invoke(ledger, "reconcile", "cancel", e2e[1], "--reason", "x", "--operator", "clerk")
    assert refused.exit_code == 1 and "only a failed instruction" in refused.stderr
    cancelled = invoke(
        ledger, "reconcile", "cancel", e2e[3], "--reason", "户主死亡", "--operator", "clerk"
    )
    assert cancelled.exit_code == 0 and "cancelled; posted as transaction" in cancelled.output

    reissued = invoke(ledger, "batch", "reissue", "--period", "2026-11", "--operator", "maker")
    assert reissued.exit_code == 0 and "supplementary batch 2" in reissued.output
    _export(ledger, 2)
    supplementary = tmp_path / "out" / "batch-000002-2026-11-dibao_rural-ICBC.csv"
    back = csv_return(supplementary, tmp_path / "back2.csv", {})
    result = invoke(ledger, "reconcile", "import", str(back), "--operator", "reconciler")
    assert result.exit_code == 0, result.stderr
    assert "1 settled" in result.output and "Batch 2 is now reconciled." in result.output

    status = _status(ledger)
    assert {b: s["state"] for b, s in status.items()} == {1: "reconciled", 2: "reconciled"}
    assert all(s["clearing_fen"] == 0 for s in status.values())
    assert (status[1]["reissued_count"], status[1]["cancelled_count"]) == (1, 1)
    table = invoke(ledger, "reconcile", "status", "1")
    assert table.exit_code == 0 and "reconciled" in table.output

    verified = invoke(ledger, "audit", "verify")
    assert verified.exit_code == 0, verified.output + verified.stderr
    trial = invoke(ledger, "audit", "trial-balance", "--format", "json")
    balances = {row["account"]: row for row in json.loads(trial.output)["accounts"]}
    assert all(
        row["balance_fen"] == 0
        for name, row in balances.items()
        if name.startswith(("Assets:BankClearing", "Liabilities:Payable"))
    )

    written = invoke(
        ledger, "reconcile", "report", "2", "--out", str(tmp_path / "r2.html"), "--lang", "en"
    )
    assert written.exit_code == 0
    assert "Bank return reconciliation report" in (tmp_path / "r2.html").read_text("utf-8")


def test_user_errors_are_reported_without_traceback(ledger, tmp_path):
    missing = invoke(ledger, "reconcile", "import", "nope.csv", "--operator", "r")
    assert missing.exit_code == 1 and "Error: nope.csv: no such file" in missing.stderr
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"hello\r\n")
    refused = invoke(ledger, "reconcile", "import", str(junk), "--operator", "r")
    assert refused.exit_code == 1 and "not a return format we know" in refused.stderr
    assert invoke(ledger, "reconcile", "status", "9").exit_code == 1
    assert invoke(ledger, "reconcile", "report", "9", "--out", "x.html").exit_code == 1
    nothing = invoke(ledger, "reconcile", "status")
    assert nothing.exit_code == 0 and "No exported batch yet." in nothing.output
