"""Operating errors are one ``Error:`` line that says what to do: an unreachable or
misnamed PostgreSQL database, a missing driver, a mistyped program code, a sheet whose ID
column Excel stored as numbers."""

import re
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.county import example_path, unknown_code
from ledger.tabular import Problem, grouped_lines
from tests.roster_support import counts, county_file, import_roster, roster_frame


def _run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(
        cli, list(args), env={"LEDGER_COUNTY": str(example_path()), **(env or {})}
    )


def test_an_unreachable_postgresql_server_is_one_line_with_the_password_masked():
    result = _run("--db", "postgresql://clerk:s3cret@127.0.0.1:1/ledger", "batch", "list")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: cannot connect to postgresql+psycopg://clerk:***@")
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert "--db (or LEDGER_DATABASE_URL)" in lines[0]


def test_a_missing_psycopg_driver_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    result = _run("--db", "postgresql://clerk:s3cret@127.0.0.1/ledger", "batch", "list")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "psycopg driver, which is not installed" in result.stderr
    assert "pip install 'ledger[postgres]'" in result.stderr and "s3cret" not in result.stderr


def test_a_mistyped_program_lists_the_valid_codes(db_url):
    result = _run("--db", db_url, "batch", "run", "--period", "2026-10",
                  "--program", "dibao_rual", "--operator", "maker")  # fmt: skip
    assert result.exit_code == 1
    assert "unknown program 'dibao_rual' (did you mean 'dibao_rural'? valid: " in result.stderr
    assert "dibao_urban, linshi, orphan, tekun" in result.stderr


def test_unknown_code_suggests_the_nearest():
    assert unknown_code("bank", "ICB", ["ICBC", "RCC"]) == (
        "unknown bank 'ICB' (did you mean 'ICBC'? valid: ICBC, RCC)"
    )
    assert unknown_code("bank", "zzz", ["ICBC"]) == "unknown bank 'zzz' (valid: ICBC)"


def test_the_same_problem_on_many_rows_is_one_grouped_line():
    many = [Problem(r, "身份证号/id_number", "not an ID number") for r in range(2, 1004)]
    few = [Problem(7, "姓名/name", "empty", file="roster.xlsx")]
    lines = grouped_lines([*many, *few], "roster.xlsx")
    assert lines == [
        "roster.xlsx, column 身份证号/id_number: rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ... "
        "(1,002 rows): not an ID number",
        "roster.xlsx, row 7, column 姓名/name: empty",
    ]


def test_a_sheet_of_numeric_ids_is_refused_in_a_few_lines(db_url, tmp_path: Path):
    frame = roster_frame(30)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        sheet.append(list(values))
    for row in range(2, 32):  # Excel turned every ID into a number
        sheet.cell(row=row, column=1).value = int(str(sheet.cell(row=row, column=1).value)[:17])
    bad = tmp_path / "numbers.xlsx"
    book.save(bad)
    refused = import_roster(db_url, county_file(tmp_path), bad)
    assert refused.exit_code == 1
    assert "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ... (30 rows)" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) < 6, refused.stderr
    assert counts(db_url)["recipients"] == 0


@pytest.mark.parametrize("setting", ["days = 0", 'name_mask = "x"', "colour = 1"])
def test_a_bad_disclosure_setting_is_a_one_line_error(tmp_path, setting):
    county = tmp_path / "county.toml"
    text = re.sub(
        r"\[disclosure\]\n(.+\n)+",
        f"[disclosure]\n{setting}\n",
        example_path().read_text(encoding="utf-8"),
    )
    county.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["config", "check", str(county)])
    assert result.exit_code == 1, result.output
    assert "disclosure." + setting.split()[0] in result.output
