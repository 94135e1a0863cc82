"""Cash payees (现金发放) through the commands, on SQLite and PostgreSQL: the roster
takes rows at a cash bank without an account number and refuses one with a number;
county.toml's cash bank needs no CNAPS code and no pain001; `ledger report receipts`
prints the signed list of an exported cash batch."""

from pathlib import Path

import pandas as pd

from ledger.county import load_county
from ledger.errors import ValidationError
from tests.roster_support import (
    counts,
    county_file,
    import_roster,
    query,
    roster_frame,
    run,
    write_csv,
)

ACCOUNTS = (
    "SELECT r.id_number, e.bank, e.account_number FROM enrolments e"
    " JOIN recipients r ON r.id = e.recipient_id WHERE e.valid_to_import IS NULL ORDER BY e.id"
)


def _cash_roster(n: int = 4) -> pd.DataFrame:
    frame = roster_frame(n)
    frame.loc[:1, "开户银行"] = ["CASH", "乡镇现金发放（备用金）"]
    frame.loc[:1, "银行账号"] = ""
    return frame


def test_a_cash_payee_has_no_account_number(db_url: str, tmp_path: Path) -> None:
    frame = _cash_roster()
    result = import_roster(db_url, county_file(tmp_path), write_csv(frame, tmp_path / "r.csv"))
    assert result.exit_code == 0, result.output + result.stderr
    rows = query(db_url, ACCOUNTS)
    assert [(bank, account) for _, bank, account in rows[:2]] == [("CASH", ""), ("CASH", "")]
    assert all(bank != "CASH" and len(account) >= 8 for _, bank, account in rows[2:])


def test_a_number_for_a_cash_payee_or_no_number_for_a_bank_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    frame = _cash_roster()
    frame.loc[0, "银行账号"] = "6217000000000000001"
    frame.loc[2, "银行账号"] = ""
    result = import_roster(db_url, county_file(tmp_path), write_csv(frame, tmp_path / "r.csv"))
    assert result.exit_code != 0
    assert "r.csv, row 2, column 银行账号: a cash payee (现金发放) has no account" in result.output
    assert "r.csv, row 4, column 银行账号: required value is missing" in result.output
    assert counts(db_url)["enrolments"] == 0


def _problems(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    try:
        load_county(path)
    except ValidationError as error:
        return "\n".join([str(error), *error.problems])
    raise AssertionError("a bad cash bank was accepted")


def test_a_cash_bank_needs_no_cnaps_and_is_not_paid_by_pain001(tmp_path: Path) -> None:
    path = county_file(tmp_path)
    assert load_county(path).cash_banks == {"CASH"}
    cash = 'cash = true\nprofile = "cash_receipt"'
    assert "banks.CASH.profile: a cash payment is a list to sign, not pain001" in _problems(
        county_file(tmp_path), cash, 'cash = true\nprofile = "pain001"'
    )
    # Not a cash bank (the flag is not true): then it is a bank and needs its CNAPS code.
    found = _problems(county_file(tmp_path), cash, 'cash = "yes"\nprofile = "cash_receipt"')
    assert "banks.CASH.cash: must be true or false, got 'yes'" in found
    assert "banks.CASH.cnaps: must be the 12-digit CNAPS bank code" in found


def test_report_receipts_names_a_batch_that_is_not_cash(db_url: str, tmp_path: Path) -> None:
    result = run(
        db_url, "report", "receipts", "1", "--out", str(tmp_path / "x.html"),
        "--county", str(county_file(tmp_path)),
    )  # fmt: skip
    assert result.exit_code != 0
    assert "batch 1 does not exist" in result.output + result.stderr
    assert not (tmp_path / "x.html").exists()
