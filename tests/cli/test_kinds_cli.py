"""`ledger registry categories` (分类施保) and `ledger batch deduction` (扣减) through
click's CliRunner: what they print, and bad input refused with exit 1 naming the file,
row and column or the option, nothing changed."""

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
from tests.support.findings import enrol, person, pid


@pytest.fixture
def runner(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_DATABASE_URL", db_url)
    monkeypatch.setenv("LEDGER_COUNTY", str(example_path()))
    monkeypatch.chdir(tmp_path)
    engine = make_engine(db_url)
    enrol(engine, [person(1)])
    with UnitOfWork(engine) as uow:
        post_lines(
            uow.connection,
            [
                ("Assets:Receivable:Recovery:R0000001", 300_00),
                ("Expenses:Assistance:dibao_rural:T01", -300_00),
            ],
            type_="recovery",
        )
        uow.commit()
    engine.dispose()
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_a_categories_list_is_imported_and_a_bad_one_refused_naming_row_and_column(
    runner, tmp_path
):
    good = tmp_path / "good.csv"
    good.write_text(f"身份证号,救助项目,类别\n{pid(1)},dibao_rural,aged_80\n", encoding="utf-8")
    result = invoke(runner, "registry", "categories", str(good), "--operator", "clerk")
    assert result.exit_code == 0, result.output
    assert "Imported categories list 1: 1 rows from good.csv." in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"身份证号,救助项目,类别\n{pid(1)},dibao_rural,blind\n", encoding="utf-8")
    result = invoke(runner, "registry", "categories", str(bad), "--operator", "clerk")
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "row 2" in result.output
    assert "unknown category 'blind'" in result.output
    engine = make_engine(os.environ["LEDGER_DATABASE_URL"])
    try:  # the refused file changed nothing: one list, one row
        with engine.connect() as connection:
            assert (
                connection.execute(sa.text("SELECT COUNT(*) FROM category_imports")).scalar_one()
                == 1
            )
            assert (
                connection.execute(
                    sa.text("SELECT COUNT(*) FROM recipient_categories")
                ).scalar_one()
                == 1
            )
    finally:
        engine.dispose()
    result = invoke(runner, "registry", "categories", str(good), "--operator", "maker")
    assert result.exit_code == 1 and "needs role civil_affairs" in result.output


def test_a_plan_is_added_listed_and_bad_ones_refused_naming_the_option(runner):
    base = ["batch", "deduction", "add", "--program", "dibao_rural", "--reason", "finding 3"]
    result = invoke(
        runner, *base, "--recipient", "R0000009", "--amount", "1", "--operator", "maker"
    )
    assert result.exit_code == 1 and "--recipient: no recipient 'R0000009'" in result.output
    result = invoke(
        runner, *base, "--recipient", "R0000001", "--amount", "-3", "--operator", "maker"
    )
    assert result.exit_code == 1 and "--amount: must be more than 0" in result.output
    result = invoke(
        runner, *base, "--recipient", "R0000001", "--amount", "300.00", "--per-month", "200.00",
        "--operator", "maker",
    )  # fmt: skip
    assert result.exit_code == 1 and "--per-month: 200.00 is above the ceiling" in result.output
    result = invoke(
        runner, *base, "--recipient", "R0000001", "--amount", "300.00", "--per-month", "abc",
        "--operator", "maker",
    )  # fmt: skip
    assert result.exit_code == 1 and "--per-month:" in result.output
    result = invoke(
        runner, *base, "--recipient", "R0000001", "--amount", "300.00", "--operator", "maker"
    )
    assert result.exit_code == 0, result.output
    assert "Deduction plan 1: R0000001 dibao_rural, 300.00 yuan" in result.output
    result = invoke(runner, "batch", "deduction", "list", "--format", "json")
    (row,) = json.loads(result.output)
    assert (row["recipient"], row["amount"], row["left"]) == ("R0000001", "300.00", "300.00")
