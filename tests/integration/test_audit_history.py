"""`ledger audit history` and `ledger audit batch` over a full cycle, on SQLite and
PostgreSQL: a failure, a re-issue to a new card, a recovery; as-of cuts; read-only."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger.cli import cli
from ledger.county import example_path
from ledger.db.engine import make_engine
from tests.support.cycle import WANG, WANG_NEW_CARD, Cycle, build_cycle


def invoke(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", db_url, *args])


@pytest.fixture
def cycle(db_url: str, tmp_path: Path) -> Cycle:
    engine = make_engine(db_url)
    try:
        return build_cycle(engine, tmp_path / "out")
    finally:
        engine.dispose()


def history(db_url: str, *extra: str) -> dict:
    result = invoke(
        db_url, "--read-only", "audit", "history", WANG.id_number, *extra, "--format", "json"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_history_of_a_person_through_failure_reissue_and_recovery(db_url, cycle):
    doc = history(db_url)
    assert doc["format"] == "ledger.audit.history/1"
    assert doc["recipient"]["key"] == "R0000001" and doc["recipient"]["name"] == "王䶮"

    first, second = doc["enrolments"]
    assert not first["current"] and second["current"]
    assert second["account_changed"] and second["changed"] == ["account_number"]
    assert second["valid_from"]["operator"] == "registrar"
    assert first["valid_to"]["import_id"] == second["valid_from"]["import_id"] == 2

    (entitlement,) = doc["entitlements"]
    assert (entitlement["period"], entitlement["amount_fen"], entitlement["amount"]) == (
        "2026-11",
        600_00,
        "600.00",
    )
    failed, reissue = doc["instructions"]
    assert (failed["status"], failed["reason_code"]) == ("reissued", "AC04")
    assert failed["reissued_by"] == reissue["id"] == cycle.reissue_id
    assert reissue["reissue_of"] == failed["id"] and reissue["attempt"] == 2
    assert reissue["status"] == "settled"
    assert failed["batch"]["file_sha256"] == cycle.file_sha256
    assert reissue["batch"]["file_sha256"] == cycle.reissue_sha256
    assert failed["batch"]["created_by"] == "maker"
    assert failed["batch"]["approved_by"] == "checker"
    assert failed["batch"]["exported_by"] == "cashier"

    outcomes = [(o["instruction_id"], o["outcome"], o["reason_code"]) for o in doc["outcomes"]]
    assert outcomes == [(failed["id"], "failed", "AC04"), (reissue["id"], "settled", None)]
    assert doc["outcomes"][0]["return_file"]["file_name"] == "return-2026-11-06.xml"

    categories = [p["category"] for p in doc["postings"]]
    assert categories == ["accrual", "payment", "recovery_due", "recovered"]
    assert doc["balances"] == {
        "accrued_fen": 600_00,
        "accrued": "600.00",
        "paid_fen": 600_00,
        "paid": "600.00",
        "cancelled_fen": 0,
        "cancelled": "0.00",
        "owed_fen": 0,
        "owed": "0.00",
        "recovery_due_fen": 600_00,
        "recovery_due": "600.00",
        "recovered_fen": 200_00,
        "recovered": "200.00",
        "recovery_outstanding_fen": 400_00,
        "recovery_outstanding": "400.00",
    }

    kinds = [e["kind"] for e in doc["events"]]
    assert kinds[0] == "enrolment" and "account_change" in kinds
    assert kinds.index("account_change") < kinds.index("posting:payment")
    dates = [e["date"] for e in doc["events"]]
    assert dates == sorted(dates)


def test_history_is_masked_unless_unmask(db_url, cycle):
    masked = invoke(db_url, "audit", "history", WANG.id_number, "--format", "json").output
    for secret in (WANG.id_number, WANG.account_number, WANG_NEW_CARD):
        assert secret not in masked
    assert "130123********1234" in masked
    for output_format in ("table", "csv"):
        text = invoke(db_url, "audit", "history", "R0000001", "--format", output_format).output
        assert WANG.id_number not in text and WANG_NEW_CARD not in text
    unmasked = invoke(db_url, "audit", "history", "R0000001", "--unmask", "--format", "json")
    assert WANG.id_number in unmasked.output and WANG_NEW_CARD in unmasked.output


def test_history_as_of_a_date_shows_only_what_was_known_then(db_url, cycle):
    before_return = history(db_url, "--as-of", "2026-11-05")
    (instruction,) = before_return["instructions"]
    assert instruction["status"] == "pending" and instruction["reason_code"] is None
    assert instruction["batch"]["file_sha256"] == cycle.file_sha256
    assert before_return["outcomes"] == []
    assert before_return["balances"]["owed_fen"] == 600_00

    after_failure = history(db_url, "--as-of", "2026-11-10")
    (instruction,) = after_failure["instructions"]
    assert (instruction["status"], instruction["reason_code"]) == ("failed", "AC04")
    assert len(after_failure["enrolments"]) == 1  # the new card came on 11-20
    assert after_failure["enrolments"][0]["current"]

    reissued = history(db_url, "--as-of", "2026-11-21")
    assert [i["status"] for i in reissued["instructions"]] == ["reissued", "pending"]
    assert reissued["instructions"][1]["batch"]["file_sha256"] is None  # not exported yet
    assert reissued["balances"]["paid_fen"] == 0

    december = history(db_url, "--as-of", "2026-12-15")
    assert december["balances"]["recovery_outstanding_fen"] == 600_00
    assert december["balances"]["recovered_fen"] == 0

    too_early = invoke(db_url, "audit", "history", "R0000001", "--as-of", "2026-10-01")
    assert too_early.exit_code == 1 and "registered on 2026-11-01" in too_early.output


def test_history_of_an_unknown_person_is_an_error(db_url, cycle):
    result = invoke(db_url, "audit", "history", "110101199003077777")
    assert result.exit_code == 1
    assert "no recipient" in result.output


def test_batch_trail_names_every_step_file_outcome_and_the_clearing_balance(db_url, cycle):
    result = invoke(
        db_url, "--read-only", "audit", "batch", str(cycle.batch_id), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format"] == "ledger.audit.batch/1"
    batch = doc["batch"]
    assert (batch["created_by"], batch["approved_by"], batch["exported_by"]) == (
        "maker",
        "checker",
        "cashier",
    )
    assert batch["file_sha256"] == cycle.file_sha256
    assert [e["action"] for e in doc["events"]] == [
        "batch.created",
        "batch.approval_recorded",
        "batch.approved",
        "batch.exported",
    ]
    (returned,) = doc["return_files"]
    assert (returned["file_name"], returned["settled"], returned["failed"]) == (
        "return-2026-11-06.xml",
        1,
        1,
    )
    counts = {(o["status"], o["reason_code"]): o["count"] for o in doc["outcomes"]}
    assert counts == {("pending", None): 1, ("reissued", "AC04"): 1, ("settled", None): 1}
    # Funded 1749.50; 699.50 settled and 600.00 failed back: the unanswered 450.00 remains.
    assert doc["clearing"]["balance_fen"] == 450_00
    assert [c["type"] for c in doc["clearing"]["lines"]] == [
        "funding",
        "payment_failure",
        "settlement",
    ]
    assert len(doc["instructions"]) == 3
    assert WANG.account_number not in result.output

    supplementary = json.loads(
        invoke(db_url, "audit", "batch", str(cycle.supplementary_id), "--format", "json").output
    )
    assert supplementary["clearing"]["balance_fen"] == 0
    assert supplementary["batch"]["kind"] == "supplementary"

    table = invoke(db_url, "audit", "batch", str(cycle.batch_id))
    assert table.exit_code == 0
    assert (
        cycle.file_sha256 in table.output
        and "clearing balance for the batch: 450.00" in table.output
    )
    csv_text = invoke(db_url, "audit", "batch", str(cycle.batch_id), "--format", "csv").output
    lines = csv_text.splitlines()
    assert lines[0].startswith("line_number,id,end_to_end_id") and len(lines) == 4
    assert invoke(db_url, "audit", "batch", "99").exit_code == 1


def test_the_new_audit_commands_run_read_only_and_writes_stay_refused(db_url, cycle, tmp_path):
    for args in (
        ["audit", "history", "R0000001"],
        ["audit", "batch", "1"],
        ["audit", "verify", "--format", "json"],
        [
            "report",
            "statement",
            "R0000001",
            "--year",
            "2026",
            "--out",
            str(tmp_path / "s.html"),
        ],
        ["report", "disclosure", "--period", "2026-11", "--out", str(tmp_path / "d.html")],
    ):
        result = CliRunner().invoke(
            cli,
            ["--db", db_url, *args],
            env={"LEDGER_READ_ONLY": "1", "LEDGER_COUNTY": str(example_path())},
        )
        assert result.exit_code == 0, (args, result.output)
    refused = invoke(
        db_url, "--read-only", "journal", "close-period", "2026-10", "--operator", "auditor"
    )
    assert refused.exit_code == 1 and "read-only" in refused.output


def test_audit_verify_speaks_json(db_url, cycle):
    result = invoke(db_url, "audit", "verify", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["ok"] and doc["transactions_checked"] == 9 and doc["problems"] == []
