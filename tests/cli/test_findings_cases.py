"""Findings followed as cases over months, on SQLite and PostgreSQL: one case per
subject and rule, a dismissed finding reopened when it recurs, a paid-after-death case
closed only once its money is recovered or written off with a checker's approval, and
overdue rectifications escalated (list, event, report)."""

import csv
import json
from datetime import date
from pathlib import Path

from tests.roster_support import county_file, query, run
from tests.support.findings import enrol, fund, pay_period, person, pid, refdata


def _ok(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result


def _paid_after_death_for_three_months(engine, tmp_path: Path, db_url: str, county: Path):
    enrol(engine, [person(1, amount_fen=600_00), person(2, amount_fen=450_00)])
    fund(engine, {"dibao_rural"}, day=date(2026, 8, 20))
    refdata(
        engine,
        "deaths",
        [{"id_number": pid(1), "name": "人1", "death_date": date(2026, 8, 31), "source": "公安"}],
    )
    for month in ("2026-09", "2026-10", "2026-11"):
        pay_period(engine, tmp_path, month)


def _detect(db_url: str, county: Path, period: str):  # type: ignore[no-untyped-def]
    result = run(db_url, "findings", "detect", "--county", county, "--operator", "auditor",
                 "--period", period, "--rule", "M01", "--as-of", "2026-11-25",
                 "--format", "json")  # fmt: skip
    return json.loads(_ok(result).output)[0]


def _events(db_url: str, finding: int) -> list[tuple[str, str]]:
    return query(
        db_url, f"SELECT action, note FROM finding_events WHERE finding_id = {finding} ORDER BY id"
    )


def test_months_make_one_case_a_dismissed_recurrence_reopens(db_url, engine, tmp_path):
    county = county_file(tmp_path)
    _paid_after_death_for_three_months(engine, tmp_path, db_url, county)
    _detect(db_url, county, "2026-09")
    _ok(run(db_url, "findings", "dismiss", "1", "--reason", "公安误报", "--operator", "chief"))
    again = _detect(db_url, county, "2026-09")  # the same month again: stays dismissed
    assert again["reopened"] == 0
    assert query(db_url, "SELECT status FROM findings WHERE id = 1") == [("dismissed",)]

    october = _detect(db_url, county, "2026-10")  # it recurs in a later month
    assert (october["new"], october["reopened"]) == (1, 1)
    assert query(db_url, "SELECT id, status FROM findings ORDER BY id") == [
        (1, "open"), (2, "open"),
    ]  # fmt: skip
    action, note = _events(db_url, 1)[-1]
    assert action == "reopened" and "2026-10 (finding 2)" in note
    assert _events(db_url, 2)[-1][0] == "recurrence"
    _detect(db_url, county, "2026-11")

    by_case = json.loads(_ok(run(db_url, "findings", "list", "--by", "case", "--format",
                                 "json")).output)  # fmt: skip
    assert len(by_case) == 1
    [case] = by_case
    assert case["case"] == 1 and case["rule"] == "M01"
    assert case["subject"] == "recipient:R0000001"
    assert case["months"] == "2026-09,2026-10,2026-11" and case["findings"] == "1,2,3"
    assert case["amount_total"] == "1,800.00" and case["amount_fen"] == 1800_00
    assert case["status"] == "open"
    table = _ok(run(db_url, "findings", "list", "--by", "case")).output
    assert "2026-09,2026-10,2026-11" in table

    report = tmp_path / "report.html"
    _ok(run(db_url, "report", "exceptions", "--period", "2026-11", "--out", report,
            "--county", county))  # fmt: skip
    text = report.read_text(encoding="utf-8")
    assert "跨月重复出现的问题" in text and "2026-09、2026-10、2026-11" in text
    assert "1、2、3" in text and "1,800.00" in text
    out_csv = tmp_path / "report.csv"
    _ok(run(db_url, "report", "exceptions", "--period", "2026-11", "--out", out_csv,
            "--county", county, "--format", "csv"))  # fmt: skip
    [header, row] = list(csv.reader(out_csv.open(encoding="utf-8-sig")))
    assert (row[0], row[header.index("案件编号")]) == ("3", "1")  # finding 3 of case 1

    whole = _ok(run(db_url, "findings", "verify", "2", "--case", "--county", county,
                    "--operator", "a2", "--as-of", "2026-11-26"))  # fmt: skip
    assert [line.split(" is ")[0] for line in whole.output.splitlines()] == [
        "Finding 1", "Finding 2", "Finding 3",
    ]  # fmt: skip
    assert "600.00 of 600.00 yuan neither recovered" in whole.output


def test_a_paid_after_death_case_closes_only_once_its_money_is_settled(db_url, engine, tmp_path):
    county = county_file(tmp_path)
    _paid_after_death_for_three_months(engine, tmp_path, db_url, county)
    _detect(db_url, county, "2026-11")
    verify = ["findings", "verify", "1", "--county", county, "--operator", "a2",
              "--as-of", "2026-11-26"]  # fmt: skip
    before = _ok(run(db_url, *verify))
    assert "not fixed" in before.output
    assert "600.00 of 600.00 yuan neither recovered nor written off" in before.output
    assert query(db_url, "SELECT status FROM findings") == [("open",)]

    _ok(run(db_url, "findings", "recover", "1", "--amount", "600.00", "--operator", "maker"))
    _ok(run(db_url, "funds", "receive-recovery", "--county", county, "--operator", "maker",
            "--recipient", "R0000001", "--program", "dibao_rural", "--amount", "400.00",
            "--date", "2026-12-01", "--finding", "1"))  # fmt: skip
    partly = _ok(run(db_url, *verify))
    assert "200.00 of 600.00 yuan neither recovered nor written off" in partly.output

    too_much = run(db_url, "findings", "write-off", "1", "--amount", "200.01", "--reason",
                   "无遗产", "--operator", "maker")  # fmt: skip
    assert too_much.exit_code == 1 and "more than the amount neither recovered" in too_much.output
    _ok(run(db_url, "findings", "write-off", "1", "--amount", "200.00", "--reason",
            "继承人无遗产可追缴", "--operator", "maker"))  # fmt: skip
    pending = _ok(run(db_url, *verify))
    assert "awaits a checker's approval" in pending.output
    own = run(db_url, "findings", "approve-write-off", "1", "--operator", "maker")
    assert own.exit_code == 1 and "another finance_checker" in own.output
    _ok(run(db_url, "findings", "approve-write-off", "1", "--operator", "checker2"))
    receivable = query(
        db_url,
        "SELECT SUM(p.amount_fen) FROM postings p JOIN accounts a ON a.id = p.account_id"
        " WHERE a.name = 'Assets:Receivable:Recovery:R0000001'",
    )
    assert receivable == [(0,)]  # 600 demanded = 400 received + 200 written off

    closed = _ok(run(db_url, *verify))
    assert "verified" in closed.output and "settled" in closed.output
    assert query(db_url, "SELECT status, written_off_fen FROM findings") == [("verified", 200_00)]
    actions = [a for a, _ in _events(db_url, 1)]
    assert actions == [
        "detected", "verify_failed", "recovery_posted", "recovery_received", "verify_failed",
        "write_off_proposed", "verify_failed", "write_off_approved", "verified",
    ]  # fmt: skip


def test_overdue_rectifications_are_listed_escalated_once_and_reported(db_url, engine, tmp_path):
    county = county_file(tmp_path)
    _paid_after_death_for_three_months(engine, tmp_path, db_url, county)
    _detect(db_url, county, "2026-10")
    _detect(db_url, county, "2026-11")
    _ok(run(db_url, "findings", "assign", "1", "--owner", "城关镇民政所", "--due", "2026-10-31",
            "--operator", "chief"))  # fmt: skip
    _ok(run(db_url, "findings", "assign", "2", "--owner", "城关镇民政所", "--due", "2026-12-31",
            "--operator", "chief"))  # fmt: skip
    listed = json.loads(_ok(run(db_url, "findings", "overdue", "--as-of", "2026-11-15",
                                "--format", "json")).output)  # fmt: skip
    assert [(r["id"], r["days_overdue"], r["escalated_at"]) for r in listed] == [(1, 15, "")]

    escalate = ["findings", "escalate", "--as-of", "2026-11-15", "--operator", "auditor"]
    first = _ok(run(db_url, *escalate))
    assert "1 finding(s) escalated now; 1 overdue in all." in first.output
    second = _ok(run(db_url, *escalate))
    assert "0 finding(s) escalated now; 1 overdue in all." in second.output
    [(_, note)] = [e for e in _events(db_url, 1) if e[0] == "escalated"]
    assert "due 2026-10-31, 15 day(s) late" in note
    after = json.loads(_ok(run(db_url, "findings", "overdue", "--as-of", "2026-11-15",
                               "--format", "json")).output)  # fmt: skip
    assert after[0]["escalated_at"] != ""

    report = tmp_path / "report.html"
    _ok(run(db_url, "report", "exceptions", "--period", "2026-11", "--out", report,
            "--county", county))  # fmt: skip
    text = report.read_text(encoding="utf-8")
    assert "升级督办" in text and "城关镇民政所" in text


def test_the_new_commands_have_help():
    from click.testing import CliRunner

    from ledger.cli import cli

    for command in ("write-off", "approve-write-off", "overdue", "escalate"):
        result = CliRunner().invoke(cli, ["findings", command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, command
    listed = CliRunner().invoke(cli, ["findings", "list", "--help"])
    assert "--by [finding|case]" in listed.output
