"""The console's table downloads: money exact, formulas neutralised, the page's rows."""

import io
from decimal import Decimal

from click.testing import CliRunner
from openpyxl import load_workbook

from ledger.cli import cli
from ledger.web.tables import Column, Table, table_csv, table_xlsx

COLUMNS = [Column("name", "姓名", "name"), Column("n", "笔数", "count", "int"),
           Column("amount_fen", "金额", "amount", "money")]  # fmt: skip


def _table() -> Table:
    table = Table("t", COLUMNS, shown=1)
    table.add({"name": '=HYPERLINK("x")', "n": 3, "amount_fen": 123456789})
    table.add({"name": "-12.50", "n": 1, "amount_fen": -5})
    return table


def test_csv_carries_plain_yuan_and_neutralises_formulas() -> None:
    text = table_csv(_table(), "zh").decode("utf-8-sig")
    assert text.splitlines() == [
        "姓名,笔数,金额",
        '"\'=HYPERLINK(""x"")",3,1234567.89',
        "-12.50,1,-0.05",
    ]
    assert table_csv(_table(), "en").decode("utf-8-sig").startswith("name,count,amount")


def test_xlsx_holds_exact_yuan_numbers_and_every_row() -> None:
    sheet = load_workbook(io.BytesIO(table_xlsx(_table(), "zh"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "笔数", "金额")
    assert rows[1][0] == '\'=HYPERLINK("x")' and rows[1][1] == 3
    assert Decimal(str(rows[1][2])) == Decimal("1234567.89")
    assert len(rows) == 3  # the page shows one row; the download has both
    assert sheet["C2"].number_format == '"¥"#,##0.00'


def test_the_console_refuses_a_read_only_start_and_a_missing_ledger(tmp_path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "web", "--county",
                                  "/nonexistent.toml"])  # fmt: skip
    assert missing.exit_code == 1
    from ledger.county import example_path

    db = tmp_path / "none.db"
    missing = runner.invoke(cli, ["--db", str(db), "web", "--county", str(example_path())])
    assert missing.exit_code == 1 and "no ledger here" in missing.output
    read_only = runner.invoke(
        cli, ["--db", str(db), "--read-only", "web", "--county", str(example_path())]
    )
    assert read_only.exit_code == 1 and "without --read-only" in read_only.output
