"""Roster import through the CLI, on SQLite and PostgreSQL: validation, encodings, XLSX."""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.roster_support import (
    counts,
    county_file,
    import_roster,
    query,
    roster_frame,
    run,
    write_csv,
)


def test_a_valid_roster_is_imported_with_keys_and_one_version_per_enrolment(
    db_url: str, tmp_path: Path
) -> None:
    frame = roster_frame(8)
    path = write_csv(frame, tmp_path / "roster.csv")
    result = import_roster(db_url, county_file(tmp_path), path, "--month", "2026-01")
    assert result.exit_code == 0, result.output + result.stderr
    assert "8 added" in result.output
    assert counts(db_url)["recipients"] == 8
    keys = [r[0] for r in query(db_url, "SELECT key FROM recipients ORDER BY key")]
    assert keys == [f"R{i:07d}" for i in range(1, 9)]
    first = query(
        db_url,
        "SELECT r.key, e.amount_fen, e.status, e.valid_from_import, e.valid_to_import "
        "FROM enrolments e JOIN recipients r ON r.id = e.recipient_id "
        f"WHERE r.id_number = '{frame.iloc[0]['身份证号']}'",
    )
    amount_fen = int(frame.iloc[0]["月发放金额(元)"].replace(".", ""))
    assert first == [("R0000001", amount_fen, "active", 1, None)]
    assert counts(db_url)["audit_events"] == 2  # the test operators' (conftest), the import's


BAD_CELLS = [
    # (column, bad value, words the message must contain)
    ("身份证号", "130123199001011230", "wrong check character"),
    ("身份证号", "130123199002301236", "impossible birth date"),
    ("身份证号", "130123900101123", "15-digit"),
    ("身份证号", "13012319900101123", "not an ID number"),
    ("姓名", "", "required value is missing"),
    ("救助项目", "moon_program", "unknown program"),
    ("乡镇", "火星镇", "unknown township"),
    ("村", "没有村", "unknown village"),
    ("开户银行", "花旗银行", "unknown bank"),
    ("月发放金额(元)", "100.005", "more than 2 decimals"),
    ("月发放金额(元)", "abc", "not a yuan amount"),
    ("月发放金额(元)", "300,50", "commas may only separate groups of three digits"),
    ("月发放金额(元)", "1,0,0", "commas may only separate groups of three digits"),
    ("月发放金额(元)", "3e2", "exponent notation"),
    ("月发放金额(元)", "３００.００", "full-width"),
    ("月发放金额(元)", "3_00", "underscores"),
    ("月发放金额(元)", "-300.00", "a negative amount is not accepted"),
    ("月发放金额(元)", "99999.00", "above the monthly cap"),
    ("家庭人口", "0", "whole number of people"),
    ("银行账号", "62220A1234567890", "8 to 32 digits"),
    ("起始月份", "2026-13", "not a month"),
    ("终止月份", "2025-01", "before the start month"),
    ("退出日期", "2026-02-30", "not a date"),
    ("状态", "在保", "must be 正常/暂停/退出"),
]


def test_keys_follow_the_file_order_across_people_in_two_programs_and_months(
    db_url: str, tmp_path: Path
) -> None:
    frame = roster_frame(5)
    frame.loc[5] = frame.loc[3]  # the 4th person is also an orphan (a second row)
    frame.loc[5, "救助项目"] = "orphan"
    frame.loc[5, "月发放金额(元)"] = "300.00"
    frame.loc[:, "起始月份"] = "2025-06"
    county = county_file(tmp_path)
    first = import_roster(
        db_url, county, write_csv(frame, tmp_path / "m1.csv"), "--month", "2026-01"
    )
    assert first.exit_code == 0, first.output + first.stderr
    newcomers = roster_frame(7, seed=9).iloc[5:]  # two other people, listed first
    second_frame = pd.concat([newcomers, frame], ignore_index=True)
    second_frame.loc[:, "起始月份"] = "2025-06"
    second = import_roster(
        db_url, county, write_csv(second_frame, tmp_path / "m2.csv"), "--month", "2026-02"
    )
    assert second.exit_code == 0, second.output + second.stderr
    keys = dict(query(db_url, "SELECT id_number, key FROM recipients"))
    ids = frame["身份证号"].tolist()
    assert [keys[i] for i in ids[:5]] == [f"R{i:07d}" for i in range(1, 6)]
    assert keys[ids[5]] == "R0000004"
    assert [keys[i] for i in newcomers["身份证号"]] == ["R0000006", "R0000007"]
    assert len(keys) == 7


@pytest.mark.parametrize(("column", "value", "words"), BAD_CELLS)
def test_a_bad_cell_refuses_the_whole_file_naming_file_row_and_column(
    db_url: str, tmp_path: Path, column: str, value: str, words: str
) -> None:
    frame = roster_frame(5)
    frame.loc[3, column] = value  # the 4th data row: row 5 as the user counts
    frame.loc[:, "起始月份"] = "2025-06"
    if column == "起始月份":
        frame.loc[3, column] = value
    path = write_csv(frame, tmp_path / "bad.csv")
    before = counts(db_url)
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 1
    assert f"bad.csv, row 5, column {column}: " in result.stderr
    assert words in result.stderr
    assert "nothing was changed" in result.stderr
    assert counts(db_url) == before


def test_every_problem_is_reported_in_one_run(db_url: str, tmp_path: Path) -> None:
    frame = roster_frame(5)
    frame.loc[0, "身份证号"] = "130123199001011230"
    frame.loc[2, "救助项目"] = "nope"
    frame.loc[4, "月发放金额(元)"] = "1.234"
    path = write_csv(frame, tmp_path / "bad.csv")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 1
    assert "3 error(s)" in result.stderr
    for row in ("row 2, column 身份证号", "row 4, column 救助项目", "row 6, column 月发放金额(元)"):
        assert row in result.stderr
    assert counts(db_url)["recipients"] == 0


def test_a_duplicate_id_and_program_is_refused(db_url: str, tmp_path: Path) -> None:
    frame = roster_frame(4)
    frame.loc[3] = frame.loc[1]
    path = write_csv(frame, tmp_path / "dup.csv")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 1
    assert "row 5, column 身份证号: the same ID and 救助项目 as row 3" in result.stderr
    assert counts(db_url)["enrolments"] == 0


def test_a_missing_required_column_is_named(db_url: str, tmp_path: Path) -> None:
    frame = roster_frame(3).drop(columns=["银行账号"])
    path = write_csv(frame, tmp_path / "nocol.csv")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 1
    assert "required column 银行账号/account_number is missing" in result.stderr
    assert counts(db_url)["roster_imports"] == 0


def test_warnings_are_shown_and_the_file_is_imported(db_url: str, tmp_path: Path) -> None:
    frame = roster_frame(4)
    frame.loc[0, "身份证号"] = "11010519491231002X"  # Beijing: outside the province
    frame.loc[0, "性别"] = "女"
    frame.loc[1, "银行账号"] = frame.loc[1, "银行账号"][:-1] + str(
        (int(frame.loc[1, "银行账号"][-1]) + 1) % 10
    )
    frame.loc[2, "账户户名"] = "别人"
    path = write_csv(frame, tmp_path / "warn.csv")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 0, result.stderr
    assert "row 2, column 身份证号: region code outside the province" in result.stderr
    assert "row 3, column 银行账号: fails the Luhn check" in result.stderr
    assert "row 4, column 账户户名: differs from the recipient's name" in result.stderr
    assert counts(db_url)["enrolments"] == 4


def test_a_gb18030_file_with_rare_characters_is_detected(db_url: str, tmp_path: Path) -> None:
    frame = roster_frame(3)
    frame.loc[0, "姓名"] = frame.loc[0, "账户户名"] = "王𠮷"
    frame.loc[1, "姓名"] = frame.loc[1, "账户户名"] = "刘䶮"
    path = tmp_path / "gb.csv"
    path.write_bytes(frame.to_csv(index=False, lineterminator="\r\n").encode("gb18030"))
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 0, result.stderr
    names = {r[0] for r in query(db_url, "SELECT name FROM recipients")}
    assert {"王𠮷", "刘䶮"} <= names


def test_a_gbk_file_can_be_forced_and_a_wrong_forced_encoding_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    frame = roster_frame(3)
    path = tmp_path / "gbk.csv"
    path.write_bytes(frame.to_csv(index=False).encode("gbk"))
    county = county_file(tmp_path)
    refused = import_roster(db_url, county, path, "--encoding", "utf-8")
    assert refused.exit_code == 1
    assert "not valid utf-8 text" in refused.stderr
    result = import_roster(db_url, county, path, "--encoding", "gbk")
    assert result.exit_code == 0, result.stderr
    assert counts(db_url)["recipients"] == 3


def test_a_utf8_file_with_bom_and_english_headers_is_read(db_url: str, tmp_path: Path) -> None:
    frame = roster_frame(3)
    english = [
        "ID_Number", "NAME", "sex", "program", "township", "village", "household_id",
        "household_size", "monthly_amount", "bank", "account_number", "account_holder",
        "start_month", "end_month", "exit_date", "status",
    ]  # fmt: skip
    frame.columns = english
    path = tmp_path / "bom.csv"
    path.write_bytes(frame.to_csv(index=False).encode("utf-8-sig"))
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 0, result.stderr
    assert counts(db_url)["enrolments"] == 3


def test_an_xlsx_roster_is_imported_and_its_errors_name_the_sheet_row(
    db_url: str, tmp_path: Path
) -> None:
    frame = roster_frame(4)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        sheet.append(list(values))
    # Spreadsheet types: a number for the household size, a date for the start month.
    sheet["H2"] = 3
    good = tmp_path / "roster.xlsx"
    book.save(good)
    sheet["A3"] = 130123199001011230  # an ID typed as a number: digits are lost
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    county = county_file(tmp_path)
    refused = import_roster(db_url, county, bad)
    assert refused.exit_code == 1
    assert "bad.xlsx, row 3, column 身份证号" in refused.stderr
    assert counts(db_url)["recipients"] == 0
    result = import_roster(db_url, county, good)
    assert result.exit_code == 0, result.stderr
    assert counts(db_url)["enrolments"] == 4
    assert query(db_url, "SELECT MAX(household_size) FROM enrolments")[0][0] >= 3


def test_a_dry_run_shows_the_changes_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    path = write_csv(roster_frame(5), tmp_path / "roster.csv")
    result = import_roster(db_url, county_file(tmp_path), path, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "Dry run, nothing written" in result.output
    assert "5 added" in result.output
    # Only the test operators' event (conftest) is there.
    assert counts(db_url) == {**dict.fromkeys(counts(db_url), 0), "audit_events": 1}


def test_the_same_file_is_not_imported_twice(db_url: str, tmp_path: Path) -> None:
    path = write_csv(roster_frame(3), tmp_path / "roster.csv")
    county = county_file(tmp_path)
    assert import_roster(db_url, county, path).exit_code == 0
    events = counts(db_url)["audit_events"]
    again = import_roster(db_url, county, path)
    assert again.exit_code == 0, again.stderr
    assert "roster.csv: already imported: this exact file is roster import 1" in again.output
    assert again.output.rstrip().endswith("nothing changed.")
    assert counts(db_url)["roster_imports"] == 1
    assert counts(db_url)["audit_events"] == events


def test_a_missing_county_file_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    path = write_csv(roster_frame(2), tmp_path / "roster.csv")
    import os

    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = run(db_url, "registry", "import", path, "--operator", "alice")
    finally:
        os.chdir(here)
    assert result.exit_code == 1  # one line, no usage block
    assert result.stderr.startswith("Error: no county configuration: county.toml is not in")
    assert "Usage:" not in result.stderr


def test_a_roster_row_with_a_field_too_many_or_too_few_is_refused_naming_it(
    db_url: str, tmp_path: Path
) -> None:
    frame = roster_frame(4)
    width = len(frame.columns)
    path = write_csv(frame, tmp_path / "shape.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",多余"
    lines[3] = lines[3].rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 1
    assert (
        f"shape.csv, row 3 (line 3): {width + 1} fields, more than the {width} of the header"
        in result.stderr
    )
    assert f"row 4 (line 4): {width - 1} fields, fewer than the {width}" in result.stderr
    assert counts(db_url)["recipients"] == 0 and counts(db_url)["roster_imports"] == 0


def test_a_roster_that_is_not_a_table_of_text_is_refused_naming_the_file(
    db_url: str, tmp_path: Path
) -> None:
    county = county_file(tmp_path)
    one_line = tmp_path / "one-line.csv"
    one_line.write_bytes(b"x" * 10_000_000)
    result = import_roster(db_url, county, one_line)
    assert result.exit_code == 1
    assert "one-line.csv: line 1 is longer than 65,536 characters" in result.stderr
    assert "Traceback" not in result.output
    utf16 = write_csv(roster_frame(2), tmp_path / "utf16.csv", encoding="utf-16")
    result = import_roster(db_url, county, utf16)
    assert result.exit_code == 1
    assert "utf16.csv: UTF-16 text" in result.stderr
    assert counts(db_url)["roster_imports"] == 0
