"""The recipient statement (对账单) and the public-disclosure list (公示)."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger.cli import cli
from ledger.county import example_path
from ledger.db.engine import make_engine
from ledger.documents import mask_given_name, mask_middle
from tests.support.cycle import PEOPLE, WANG, WANG_NEW_CARD, Cycle, build_cycle


def invoke(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", db_url, *args], env={"LEDGER_COUNTY": str(example_path())}
    )


@pytest.fixture
def cycle(db_url: str, tmp_path: Path) -> Cycle:
    engine = make_engine(db_url)
    try:
        return build_cycle(engine, tmp_path / "out")
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("王䶮", "王*"),
        ("𠮷田花", "𠮷**"),
        ("阿依古丽·买买提", "阿***·***"),
        ("李", "李"),
    ],
)
def test_the_given_name_is_masked_and_the_surname_kept(name, masked):
    assert mask_given_name(name) == masked


def test_the_statement_lists_each_month_with_entitled_paid_date_and_outcome(
    db_url, cycle, tmp_path
):
    out = tmp_path / "statement.html"
    result = invoke(db_url, "report", "statement", WANG.id_number, "--year", "2026", "--out", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "2026年度救助资金发放对账单" in html and "王䶮" in html
    assert "dibao_rural" not in html  # the program's Chinese name, not its code
    row = re.search(r"<tr><td>2026-11</td>.*?</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))
    # entitled, deducted (扣减: none), paid, paid on
    assert cells[2:6] == ["600.00", "", "600.00", "2026-11-25"]
    assert "已到账" in cells[7] and "AC04" in cells[7]
    for secret in (WANG.id_number, WANG.account_number, WANG_NEW_CARD):
        assert secret not in html
    assert "<script" not in html and "http" not in html.split("</head>")[0]

    english = tmp_path / "statement-en.html"
    assert (
        invoke(
            db_url,
            "report",
            "statement",
            "R0000001",
            "--year",
            "2026",
            "--lang",
            "en",
            "--out",
            english,
        ).exit_code
        == 0
    )
    text = english.read_text(encoding="utf-8")
    assert "Assistance payment statement" in text and "paid" in text

    empty = tmp_path / "2025.html"
    assert (
        invoke(
            db_url, "report", "statement", "R0000001", "--year", "2025", "--out", empty
        ).exit_code
        == 0
    )
    assert "本年度无发放记录" in empty.read_text(encoding="utf-8")


def test_the_disclosure_list_shows_masked_names_and_no_id_or_account_number(
    db_url, cycle, tmp_path
):
    html_path = tmp_path / "gongshi.html"
    csv_path = tmp_path / "gongshi.csv"
    for path, fmt in ((html_path, "html"), (csv_path, "csv")):
        result = invoke(
            db_url, "report", "disclosure", "--period", "2026-11", "--format", fmt, "--out", path
        )
        assert result.exit_code == 0, result.output
        assert "3 recipients" in result.output
    html = html_path.read_text(encoding="utf-8")
    csv_text = csv_path.read_text(encoding="utf-8")
    for person in PEOPLE:
        assert mask_given_name(person.name) in html and mask_given_name(person.name) in csv_text
        assert person.name not in html and person.name not in csv_text
    assert "欧阳**" in html and "600.00" in html
    # Scan for every ID number and account number in the dataset, whole and in parts.
    secrets = set()
    for person in PEOPLE:
        secrets |= {person.id_number, person.account_number, person.account_number[-10:]}
        secrets.add(person.id_number[6:14])  # the birth date
    secrets.add(WANG_NEW_CARD)
    for text in (html, csv_text):
        for secret in secrets:
            assert secret not in text
        assert re.search(r"\d{15,}", text) is None  # no long digit run at all
    assert csv_text.splitlines()[0].startswith("乡镇（街道）,村（社区）,序号,姓名")


def test_the_disclosure_list_can_be_cut_to_a_township_or_village(db_url, cycle, tmp_path):
    out = tmp_path / "t02.html"
    result = invoke(
        db_url, "report", "disclosure", "--period", "2026-11", "--township", "T02", "--out", out
    )
    assert result.exit_code == 0, result.output
    assert "1 recipients in 1 villages" in result.output
    result = invoke(
        db_url, "report", "disclosure", "--period", "2026-11", "--village", "V0101", "--out", out
    )
    assert "1 recipients" in result.output
    bad = invoke(
        db_url, "report", "disclosure", "--period", "2026-11", "--township", "nowhere", "--out", out
    )
    assert bad.exit_code == 1 and "unknown township" in bad.output


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三明", "张*明"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("𠮷田花", "𠮷*花"),
     ("阿依古丽·买买提", "阿***·**提"), ("李", "李")],
)  # fmt: skip
def test_the_middle_mask_keeps_the_first_and_last_character(name, masked):
    assert mask_middle(name) == masked


def test_the_disclosure_list_prints_its_period_hotline_total_and_the_county_mask(
    db_url, cycle, tmp_path
):
    example = example_path().read_text(encoding="utf-8")

    def with_disclosure(section: str) -> str:
        return re.sub(r"\[disclosure\]\n(.+\n)+", section, example)

    county = tmp_path / "county.toml"
    county.write_text(
        with_disclosure(
            '[disclosure]\ndays = 10\nhotline = "0311-7654321"\nname_mask = "middle"\n'
        ),
        encoding="utf-8",
    )
    out = tmp_path / "gongshi.html"
    result = CliRunner().invoke(
        cli,
        ["--db", db_url, "report", "disclosure", "--period", "2026-11", "--out", str(out),
         "--start", "2026-12-01"],
        env={"LEDGER_COUNTY": str(county)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "公示期 2026-12-01 至 2026-12-10" in html
    assert "监督电话" in html and "0311-7654321" in html
    assert "欧**娜" in html and "𠮷*花" in html and "欧阳**" not in html
    # Village totals and the grand total: 600.00 + 699.50 + 450.00.
    assert "总计" in html and "1,749.50" in html
    bad = tmp_path / "bad.toml"
    bad.write_text(with_disclosure('[disclosure]\nname_mask = "x"\n'), encoding="utf-8")
    refused = CliRunner().invoke(
        cli, ["--db", db_url, "report", "disclosure", "--period", "2026-11", "--out", str(out)],
        env={"LEDGER_COUNTY": str(bad)},
    )  # fmt: skip
    assert refused.exit_code == 1 and "disclosure.name_mask" in refused.output
