"""Auditors' exports: Beancount (checked by bean-check), CSV and Parquet, and account
statements with running balances."""

import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.db.balances import trial_balance
from ledger.db.uow import UnitOfWork
from ledger.export.beancount import beancount_account
from tests.helpers import post_lines

TREASURY = "Assets:Treasury:dibao_rural"
APPROPRIATION = "Income:Appropriation:central:dibao_rural"
EXPENSE = "Expenses:Assistance:dibao_rural:T01"
PAYABLE_1 = "Liabilities:Payable:dibao_rural:R0000001"
PAYABLE_2 = "Liabilities:Payable:dibao_rural:R0000002"
CLEARING = "Assets:BankClearing:ICBC"


@pytest.fixture
def month(engine, db_url) -> str:
    """An allocation, an accrual for two recipients, funding, one payment, and a
    description that needs quoting."""
    with UnitOfWork(engine) as uow:
        c = uow.connection
        post_lines(
            c,
            [(TREASURY, 1_000_000), (APPROPRIATION, -1_000_000)],
            day=date(2026, 10, 15),
            description='拨款 财社〔2026〕12号 "central"',
        )
        post_lines(
            c,
            [(EXPENSE, 110_000), (PAYABLE_1, -50_000), (PAYABLE_2, -60_000)],
            day=date(2026, 11, 1),
        )
        post_lines(c, [(CLEARING, 110_000), (TREASURY, -110_000)], day=date(2026, 11, 3))
        post_lines(c, [(PAYABLE_1, 50_000), (CLEARING, -50_000)], day=date(2026, 11, 10))
        uow.commit()
    engine.dispose()
    return db_url


def ledger(db_url: str, *command: str):
    """ledger(db, "audit", "export")("--out", path): the command, then its options."""
    return lambda *options: CliRunner().invoke(cli, ["--db", db_url, *command, *options])


def bean_check() -> str:
    found = shutil.which("bean-check") or str(Path(sys.executable).with_name("bean-check"))
    if not Path(found).exists():
        pytest.fail("bean-check is not installed (it comes with the test extra: beancount)")
    return found


def test_the_beancount_export_passes_bean_check(month, tmp_path):
    out = tmp_path / "ledger.beancount"
    result = CliRunner().invoke(
        cli, ["--db", month, "audit", "export", "--format", "beancount", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 4 transactions" in result.output
    checked = subprocess.run([bean_check(), str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = out.read_text(encoding="utf-8")
    assert "balance Liabilities:Payable:Dibao-rural:R0000002  -600.00 CNY" in text
    assert "balance Assets:BankClearing:ICBC  600.00 CNY" in text
    assert 'ledger-account: "Liabilities:Payable:dibao_rural:R0000002"' in text
    assert '拨款 财社〔2026〕12号 \\"central\\"' in text


def test_beancount_balances_equal_ours_as_bean_check_computes_them(month, engine, tmp_path):
    """Load the export with beancount itself and compare every balance to the fen."""
    from beancount import loader
    from beancount.core import realization

    out = tmp_path / "ledger.beancount"
    CliRunner().invoke(
        cli, ["--db", month, "audit", "export", "--format", "beancount", "--out", str(out)]
    )
    entries, errors, _ = loader.load_file(str(out))
    assert errors == []
    real = realization.realize(entries)
    with engine.connect() as connection:
        ours = {beancount_account(b.account): b.balance_fen for b in trial_balance(connection)}
    for name, balance in ours.items():
        position = realization.get(real, name).balance.get_currency_units("CNY")
        assert int(position.number * 100) == balance, name


def test_an_as_of_export_stops_at_that_date(month, tmp_path):
    out = tmp_path / "october.beancount"
    result = ledger(month, "audit", "export", "--format", "beancount")(
        "--as-of", "2026-10-31", "--out", str(out)
    )
    assert "Wrote 1 transactions" in result.output
    assert subprocess.run([bean_check(), str(out)]).returncode == 0
    assert "2026-11-01 balance Assets:Treasury:Dibao-rural  10000.00 CNY" in out.read_text("utf-8")


def test_csv_and_parquet_exports_carry_every_posting(month, tmp_path):
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"postings.{fmt}"
        result = CliRunner().invoke(
            cli, ["--db", month, "audit", "export", "--format", fmt, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert "Wrote 9 postings" in result.output
        frame = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
        assert len(frame) == 9
        assert frame["amount_fen"].sum() == 0
        assert str(frame["amount_fen"].dtype) == "int64"
        assert set(frame["account"]) >= {TREASURY, PAYABLE_1, CLEARING}
        assert frame.loc[frame["transaction_id"] == 1, "description"].iloc[0].startswith("拨款")


def test_an_account_statement_shows_a_running_balance(month):
    result = CliRunner().invoke(
        cli, ["--db", month, "audit", "account", TREASURY, "--format", "json"]
    )
    document = json.loads(result.output)
    assert [line["balance_fen"] for line in document["lines"]] == [1_000_000, 890_000]
    later = CliRunner().invoke(
        cli,
        ["--db", month, "audit", "account", TREASURY, "--from", "2026-11-01", "--format", "json"],
    )
    cut = json.loads(later.output)
    assert cut["opening_balance_fen"] == 1_000_000
    assert cut["closing_balance_fen"] == 890_000
    assert len(cut["lines"]) == 1


def test_exporting_into_a_missing_folder_is_refused(month, tmp_path):
    result = ledger(month, "audit", "export", "--format", "csv")(
        "--out", str(tmp_path / "nowhere" / "x.csv")
    )
    assert result.exit_code != 0
    assert "nowhere" in result.stderr


def test_a_statement_of_an_unknown_account_is_refused(month):
    result = CliRunner().invoke(cli, ["--db", month, "audit", "account", "Assets:Treasury:x"])
    assert result.exit_code == 1
    assert "no account is named" in result.stderr


def test_balance_assertions_come_after_the_last_entry_when_it_is_dated_after_today(
    engine, db_url, tmp_path
):
    """A transaction dated tomorrow (within the margin for the county's time zone) is
    before the balance assertions, so bean-check still proves the export."""
    tomorrow = date.today() + timedelta(days=1)
    with UnitOfWork(engine) as uow:
        post_lines(uow.connection, [(TREASURY, 1_000), (APPROPRIATION, -1_000)], day=tomorrow)
        uow.commit()
    engine.dispose()
    out = tmp_path / "ahead.beancount"
    result = ledger(db_url, "audit", "export", "--format", "beancount")("--out", str(out))
    assert result.exit_code == 0, result.output
    checked = subprocess.run([bean_check(), str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{tomorrow + timedelta(days=1)} balance Assets:Treasury:Dibao-rural" in out.read_text(
        "utf-8"
    )
