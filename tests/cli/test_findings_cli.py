"""The findings lifecycle through the command line, on SQLite and PostgreSQL: detection
is idempotent, verify closes only what is gone, a returning condition reopens, recovery
posts and is received, and the event log is append-only."""

import csv
import getpass
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger.cli import cli
from tests.roster_support import county_file, query, run
from tests.support.findings import enrol, fund, pay_period, person, pid, refdata, set_status


def _dead_recipient_paid(engine, tmp_path: Path) -> dict[str, list[int]]:
    enrol(
        engine,
        [
            person(1, amount_fen=600_00),
            person(2, amount_fen=450_00, name='=HYPERLINK("http://x")', account_holder="李四"),
        ],
    )
    fund(engine, {"dibao_rural"})
    ids = pay_period(engine, tmp_path)
    refdata(
        engine,
        "deaths",
        [{"id_number": pid(1), "name": "人1", "death_date": date(2026, 9, 30), "source": "公安"}],
    )
    return ids


def _ok(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result


def test_every_findings_command_has_help():
    runner = CliRunner()
    for args in (
        ["findings", "--help"],
        *(
            ["findings", c, "--help"]
            for c in (
                "detect",
                "list",
                "show",
                "assign",
                "rectify",
                "dismiss",
                "verify",
                "recover",
                "rules",
            )
        ),
        ["report", "exceptions", "--help"],
        ["funds", "receive-recovery", "--help"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, args
        assert "Usage:" in result.output


def test_the_rules_command_prints_the_catalogue_in_markdown_and_json():
    runner = CliRunner()
    text = runner.invoke(cli, ["findings", "rules", "--format", "markdown"]).output
    assert "### M01 死亡后仍发放 / Paid for a period after death" in text
    rules = json.loads(runner.invoke(cli, ["findings", "rules", "--format", "json"]).output)
    assert len(rules) == 31 and rules[0]["id"] == "W01"


def test_the_lifecycle_from_detection_to_verification_and_back(db_url, engine, tmp_path):
    ids = _dead_recipient_paid(engine, tmp_path)
    county = county_file(tmp_path)
    detect = ["findings", "detect", "--county", county, "--operator", "auditor",
              "--period", "2026-11", "--as-of", "2026-11-20"]  # fmt: skip
    first = _ok(run(db_url, *detect, "--rule", "M01", "--format", "json"))
    assert json.loads(first.output)[0] | {"seconds": 0} == {
        "rule": "M01", "title": "死亡后仍发放", "found": 1, "new": 1, "reopened": 0,
        "amount_at_risk": "600.00",
        "amount_fen": 600_00, "seconds": 0,
    }  # fmt: skip
    again = _ok(run(db_url, *detect, "--rule", "M01", "--format", "json"))
    assert json.loads(again.output)[0]["new"] == 0
    assert query(db_url, "SELECT COUNT(*) FROM findings") == [(1,)]
    assert query(db_url, "SELECT action FROM finding_events") == [("detected",)]

    listed = _ok(run(db_url, "findings", "list", "--format", "json")).output
    [finding] = json.loads(listed)
    assert finding["subject"] == "recipient:R0000001" and finding["status"] == "open"
    shown = _ok(run(db_url, "findings", "show", "1")).output
    assert "ref_deaths" in shown and "R0000001" in shown

    still = _ok(run(db_url, "findings", "verify", "1", "--county", county, "--operator", "a2",
                    "--as-of", "2026-11-21"))  # fmt: skip
    assert "not fixed" in still.output
    _ok(run(db_url, "findings", "assign", "1", "--owner", "城关镇民政所", "--due",
            "2026-12-31", "--operator", "chief"))  # fmt: skip
    assert query(db_url, "SELECT status, owner FROM findings") == [("assigned", "城关镇民政所")]

    too_much = run(db_url, "findings", "recover", "1", "--amount", "600.01", "--operator", "c")
    assert too_much.exit_code == 1 and "more than the amount at risk" in too_much.output
    _ok(run(db_url, "findings", "recover", "1", "--amount", "600.00", "--date", "2026-12-01",
            "--operator", "cashier"))  # fmt: skip
    balances = dict(
        query(
            db_url,
            "SELECT a.name, SUM(p.amount_fen) FROM postings p JOIN accounts a"
            " ON a.id = p.account_id GROUP BY a.name",
        )
    )
    assert balances["Assets:Receivable:Recovery:R0000001"] == 600_00
    assert balances["Expenses:Assistance:dibao_rural:T01"] == 1050_00 - 600_00
    # Received on a day not after the clock's today (the journal refuses later dates).
    receive = ["funds", "receive-recovery", "--county", county, "--operator", "cashier",
               "--recipient", "R0000001", "--program", "dibao_rural", "--amount", "600.00",
               "--date", "2026-12-02", "--finding", "1"]  # fmt: skip
    _ok(run(db_url, *receive))
    twice = run(db_url, *receive)
    assert twice.exit_code == 1  # the receivable would go below zero: the database refuses
    assert query(
        db_url,
        "SELECT SUM(p.amount_fen) FROM postings p JOIN accounts a ON a.id = p.account_id"
        " WHERE a.name = 'Assets:Receivable:Recovery:R0000001'",
    ) == [(0,)]

    _ok(
        run(db_url, "findings", "rectify", "1", "--note", "追缴600元，已停发", "--operator", "zhao")
    )
    set_status(engine, ids["R0000001"], "cancelled")  # reconciliation cancelled the payment
    closed = _ok(run(db_url, "findings", "verify", "1", "--county", county, "--operator", "a2",
                     "--as-of", "2026-12-10"))  # fmt: skip
    assert "verified" in closed.output
    assert query(db_url, "SELECT status FROM findings") == [("verified",)]

    set_status(engine, ids["R0000001"], "settled")  # the condition comes back
    back = json.loads(_ok(run(db_url, *detect, "--rule", "M01", "--format", "json")).output)
    assert back[0]["reopened"] == 1
    assert query(db_url, "SELECT status FROM findings") == [("open",)]
    _ok(run(db_url, "findings", "dismiss", "1", "--reason", "公安误报", "--operator", "chief"))
    # Who was logged in, beside each event (PostgreSQL: session_user; SQLite: the OS login).
    login = "postgres" if db_url.startswith("postgresql") else getpass.getuser()
    assert query(db_url, "SELECT DISTINCT db_login FROM finding_events") == [(login,)]
    actions = [a for (a,) in query(db_url, "SELECT action FROM finding_events ORDER BY id")]
    assert actions == [
        "detected", "verify_failed", "assign", "recovery_posted", "recovery_received",
        "rectify", "verified", "reopened", "dismiss",
    ]  # fmt: skip
    operators = query(db_url, "SELECT DISTINCT operator FROM finding_events ORDER BY 1")
    assert ("chief",) in operators and ("a2",) in operators
    late = run(db_url, "findings", "assign", "1", "--owner", "x", "--due", "2027-01-01",
               "--operator", "chief")  # fmt: skip
    assert late.exit_code == 1 and "dismissed" in late.output


def test_the_findings_event_log_is_append_only(engine, tmp_path):
    _dead_recipient_paid(engine, tmp_path)
    from ledger.county import example_path, load_county
    from ledger.db.uow import UnitOfWork
    from ledger.findings import service

    with UnitOfWork(engine) as uow:
        service.detect(uow, load_county(example_path()), operator="a", period="2026-11",
                       rules=["M01"], as_of=date(2026, 11, 20))  # fmt: skip
    for statement in ("UPDATE finding_events SET note = 'x'", "DELETE FROM finding_events"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as c:
            c.exec_driver_sql(statement)


def test_the_exception_report_in_html_csv_and_xlsx(db_url, engine, tmp_path):
    _dead_recipient_paid(engine, tmp_path)
    county = county_file(tmp_path)
    _ok(run(db_url, "findings", "detect", "--county", county, "--operator", "auditor",
            "--period", "2026-11", "--as-of", "2026-11-20"))  # fmt: skip
    html = tmp_path / "report.html"
    _ok(run(db_url, "report", "exceptions", "--period", "2026-11", "--out", html,
            "--county", county))  # fmt: skip
    text = html.read_text(encoding="utf-8")
    assert "死亡后仍发放" in text and "<svg" in text and "600.00" in text
    assert pid(1) not in text and pid(1)[:6] + "********" + pid(1)[-4:] in text
    english = tmp_path / "report-en.html"
    _ok(run(db_url, "report", "exceptions", "--period", "2026-11", "--out", english,
            "--county", county, "--lang", "en"))  # fmt: skip
    assert "Paid for a period after death" in english.read_text(encoding="utf-8")

    out_csv = tmp_path / "report.csv"
    _ok(run(db_url, "report", "exceptions", "--period", "2026-11", "--out", out_csv,
            "--county", county, "--format", "csv"))  # fmt: skip
    rows = list(csv.reader(out_csv.open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["编号", "规则", "问题类型"]
    names = [r[8] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names  # D01: the holder is not the recipient
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r)

    from openpyxl import load_workbook

    out_xlsx = tmp_path / "report.xlsx"
    _ok(run(db_url, "report", "exceptions", "--period", "2026-11", "--out", out_xlsx,
            "--county", county, "--format", "xlsx"))  # fmt: skip
    sheet = load_workbook(out_xlsx).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == len(rows)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
