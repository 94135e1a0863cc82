"""`ledger batch ...` through click's CliRunner: exit codes, messages, help."""

import json

import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.county import example_path
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from tests.helpers import post_lines
from tests.support.roster import Person, add_people

COMMANDS = [
    "run", "reissue", "approve", "release", "void", "export", "verify-file", "list", "show",
    "residents",
]  # fmt: skip


@pytest.fixture
def ledger(db_url, tmp_path, monkeypatch):
    engine = make_engine(db_url)
    with UnitOfWork(engine) as uow:
        add_people(
            uow.connection,
            [
                Person(
                    "R0000001", "王䶮", "130123198001011234", account_number="6217000000000000001"
                ),
                Person(
                    "R0000002",
                    "𠮷田花",
                    "13012319750505432X",
                    township="T02",
                    village="V0201",
                    amount_fen=699_50,
                    account_number="6217000000000000002",
                ),
            ],
        )
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
def test_every_batch_command_has_help(command):
    result = CliRunner().invoke(cli, ["batch", command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) > 3


def test_the_batch_lifecycle_from_the_command_line(ledger, tmp_path):
    result = invoke(ledger, "batch", "run", "--period", "2026-11", "--operator", "maker")
    assert result.exit_code == 0, result.output
    assert "Created draft batch 1: 2026-11 dibao_rural ICBC, 2 payments, 1,299.50 yuan" in (
        result.output
    )
    assert "T01" in result.output and "城关镇" in result.output
    assert (tmp_path / "batch-000001-draft-sheet.html").exists()

    again = invoke(ledger, "batch", "run", "--period", "2026-11", "--operator", "maker")
    assert again.exit_code == 0
    assert "Batch 1 already exists" in again.output and "Nothing new for 2026-11" in again.output

    refused = invoke(ledger, "batch", "export", "1", "--out", "out", "--operator", "cashier")
    assert refused.exit_code == 1
    assert "Error: batch 1 is a draft: it must be approved" in refused.stderr

    same = invoke(ledger, "batch", "approve", "1", "--operator", "maker")
    assert same.exit_code == 1 and "maker-checker" in same.stderr

    ok = invoke(ledger, "batch", "approve", "1", "--operator", "checker")
    assert ok.exit_code == 0 and "approved by checker" in ok.output

    exported = invoke(ledger, "batch", "export", "1", "--out", "out", "--operator", "cashier")
    assert exported.exit_code == 0, exported.stderr
    bank_file = tmp_path / "out" / "batch-000001-2026-11-dibao_rural-ICBC.csv"
    assert bank_file.exists()
    assert (tmp_path / "out" / "batch-000001-export-sheet.html").exists()

    verified = invoke(ledger, "batch", "verify-file", str(bank_file))
    assert verified.exit_code == 0 and verified.output.startswith("OK:")
    bank_file.write_bytes(bank_file.read_bytes() + b"\r\n")
    tampered = invoke(ledger, "batch", "verify-file", str(bank_file))
    assert tampered.exit_code == 1 and "changed after export" in tampered.stderr

    voided = invoke(ledger, "batch", "void", "1", "--reason", "x", "--operator", "checker")
    assert voided.exit_code == 1 and "can no longer be voided" in voided.stderr

    listed = invoke(ledger, "batch", "list", "--format", "csv")
    assert listed.exit_code == 0
    assert "1,2026-11,dibao_rural,ICBC,regular,exported,2,1299.50,maker,checker,cashier" in (
        listed.output
    )
    shown = invoke(ledger, "batch", "show", "1")
    assert shown.exit_code == 0
    assert "approved  by checker" in shown.output and "sha256" in shown.output
    assert "6217000000000000001" not in shown.output + listed.output


def test_export_with_insufficient_funds_fails_with_the_missing_amount(ledger, db_url):
    engine = make_engine(db_url)
    with UnitOfWork(engine) as uow:
        add_people(
            uow.connection,
            # Six payments within the program's standard (700.00): held ones are not
            # funded, so the shortfall needs payments that pass screening.
            [
                Person(
                    f"R000001{n}",
                    "张三",
                    f"13012319600101111{n}",
                    amount_fen=650_00,
                    account_number=f"6217000{n}",
                )
                for n in range(6)
            ],
        )
        uow.commit()
    engine.dispose()
    invoke(ledger, "batch", "run", "--period", "2026-11", "--operator", "maker")
    invoke(ledger, "batch", "approve", "1", "--operator", "checker")
    result = invoke(ledger, "batch", "export", "1", "--out", "out", "--operator", "cashier")
    assert result.exit_code == 1
    assert (
        "Error: insufficient funds in Assets:Treasury:dibao_rural: need 5,199.50, "
        "available 5,000.00, missing 199.50" in result.stderr
    )


def test_unknown_batches_and_bad_periods_are_user_errors(ledger):
    assert "batch 99 does not exist" in invoke(ledger, "batch", "show", "99").stderr
    bad = invoke(ledger, "batch", "run", "--period", "2026-13", "--operator", "maker")
    assert bad.exit_code == 1 and "not a period" in bad.stderr
    unknown = invoke(
        ledger, "batch", "run", "--period", "2026-11", "--program", "nope", "--operator", "m"
    )
    assert unknown.exit_code == 1 and "unknown program 'nope'" in unknown.stderr


def test_a_checker_releases_a_held_payment_from_the_command_line(ledger, db_url):
    engine = make_engine(db_url)
    with UnitOfWork(engine) as uow:  # above the program's standard (700.00): held
        add_people(
            uow.connection,
            [
                Person(
                    "R0000003",
                    "张三",
                    "130123196001011230",
                    amount_fen=800_00,
                    account_number="6217000000000000003",
                )
            ],
        )
        uow.commit()
    engine.dispose()
    result = invoke(ledger, "batch", "run", "--period", "2026-11", "--operator", "maker")
    assert "3 payments, 2,099.50 yuan; 1 held by screening (800.00 yuan" in result.output
    shown = invoke(ledger, "batch", "show", "1")
    assert "held: Above the program's standard (1)" in shown.output
    held = json.loads(invoke(ledger, "batch", "show", "1", "--format", "json").output)["held"]
    assert [(h["key"], h["amount_fen"], h["reasons"]) for h in held] == [
        ("R0000003", 800_00, ["above_standard"])
    ]
    instruction = str(held[0]["instruction_id"])
    assert f"instruction {instruction}  R0000003  T01  800.00  held" in shown.output
    assert "amount 800.00 yuan above the program's standard 700.00 yuan" in shown.output
    args = [
        "batch",
        "release",
        "1",
        "--instruction",
        instruction,
        "--reason",
        "经县民政局批准的特殊情形",
    ]
    refused = invoke(ledger, *args, "--operator", "maker")
    assert refused.exit_code == 1 and "released by a different operator" in refused.stderr
    other = "1" if instruction != "1" else "2"
    unknown = invoke(ledger, "batch", "release", "1", "--instruction", other, "--reason", "x",
                     "--operator", "checker")  # fmt: skip
    assert unknown.exit_code == 1
    assert f"nothing was released: instruction {other}: is pending, not held" in unknown.stderr
    released = invoke(ledger, *args, "--operator", "checker")
    assert released.exit_code == 0, released.output
    assert "Batch 1: released 1 held payment(s), 800.00 yuan" in released.output
    shown = invoke(ledger, "batch", "show", "1", "--format", "json")
    assert '"released": {' in shown.output and "经县民政局批准的特殊情形" in shown.output
