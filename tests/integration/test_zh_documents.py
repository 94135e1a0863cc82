"""Every document of a real (demo) ledger in Chinese has no English sentence, and the
exception report's XLSX holds numbers people can add up.

The demo plants a case of every rule, answers bank files with anomalies and writes the
approval sheets; the reports, statements and 公示 are rendered from its ledger here.
"""

import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook

from ledger.cli import cli
from ledger.county import load_county
from ledger.db.engine import database_url, make_engine
from ledger.findings.report import write_report
from ledger.findings.report_tables import MONEY_FORMAT, yuan
from ledger.reconciliation_report import render_report
from ledger.sheets import render_sheet
from tests.support.zh_text import english_in_html, english_sentences

PERIOD = "2026-04"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("zh") / "county"
    result = CliRunner().invoke(
        cli,
        ["demo", "--dir", str(directory), "--recipients", "150", "--months", "2",
         "--first-period", "2026-03"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return directory


def _engine(demo: Path) -> sa.Engine:
    return make_engine(database_url(str(demo / "ledger.db")))


def test_the_scanner_finds_english_sentences_and_passes_codes_ids_and_amounts():
    assert english_sentences("the bank rejected the payee name (BE01)") == [
        "the bank rejected the payee name"
    ]
    assert english_sentences("支付指令 6821; 账户 Assets:Treasury:tekun") == []
    assert english_sentences("R0000590 BE01 ICBC T01 2026-11 146,684.00 SHA-256") == []
    assert english_in_html("<p>ok <code>ledger batch reissue --period P</code></p>") == []
    assert english_in_html("<td>paid into a salary account</td>") != []


def test_every_chinese_document_of_a_real_ledger_is_in_chinese(demo, tmp_path):
    county = load_county(demo / "county.toml")
    engine = _engine(demo)
    found: dict[str, list[str]] = {}
    try:
        with engine.connect() as c:
            out = tmp_path / "report.html"
            write_report(c, county, PERIOD, out, today=date(2026, 5, 20))
            found["exceptions"] = english_in_html(out.read_text(encoding="utf-8"))
            xlsx = tmp_path / "report.xlsx"
            write_report(c, county, PERIOD, xlsx, output_format="xlsx", today=date(2026, 5, 20))
            cells = [
                str(v)
                for row in load_workbook(xlsx).active.iter_rows(values_only=True)
                for v in row
                if isinstance(v, str)
            ]
            found["xlsx"] = [s for cell in cells for s in english_sentences(cell)]
            rules = {r for (r,) in c.execute(sa.text("SELECT DISTINCT rule FROM findings"))}
            for (batch_id,) in c.execute(sa.text("SELECT id FROM batches ORDER BY id")):
                html = render_sheet(c, county, batch_id, stage="draft")
                found[f"sheet {batch_id}"] = english_in_html(html)
                state = html.split("</style>")[1].split("状态")[1].split("</p>")[0]
                assert state.strip() in {"草稿", "已审批", "已导出", "部分对账", "已对账", "已关闭"}
            file_ids = [i for (i,) in c.execute(sa.text("SELECT id FROM return_files"))]
            details = c.execute(sa.text("SELECT COUNT(*) FROM reconciliation_exceptions"))
            assert details.scalar_one() > 0
            for file_id in file_ids:
                found[f"return {file_id}"] = english_in_html(render_report(c, file_id))
            id_number = c.execute(sa.text("SELECT id_number FROM recipients LIMIT 1")).scalar()
    finally:
        engine.dispose()
    # The demo plants every kind of case; screening at batch run holds the deceased,
    # duplicates, employees, cadre relatives, shared cards and amounts above the standard
    # before payment (M01 M04 M05 M07 M08 M09 D02), so the findings name the rest.
    assert len(rules) >= 12
    runner = CliRunner()
    env = {"LEDGER_COUNTY": str(demo / "county.toml")}
    db = database_url(str(demo / "ledger.db"))
    for name, args in (
        ("statement", ["report", "statement", str(id_number), "--year", "2026"]),
        ("disclosure", ["report", "disclosure", "--period", PERIOD]),
    ):
        target = tmp_path / f"{name}.html"
        result = runner.invoke(cli, ["--db", db, *args, "--out", str(target)], env=env)
        assert result.exit_code == 0, result.output
        found[name] = english_in_html(target.read_text(encoding="utf-8"))
    assert {k: v for k, v in found.items() if v} == {}


def test_the_english_report_keeps_the_english_summaries(demo, tmp_path):
    engine = _engine(demo)
    try:
        with engine.connect() as c:
            out = tmp_path / "report-en.html"
            write_report(c, load_county(demo / "county.toml"), PERIOD, out, lang="en",
                         today=date(2026, 5, 20))  # fmt: skip
            summaries = [s for (s,) in c.execute(sa.text(
                "SELECT summary FROM findings WHERE period = :p"), {"p": PERIOD})]  # fmt: skip
    finally:
        engine.dispose()
    html = out.read_text(encoding="utf-8")
    assert summaries and all(s.replace("'", "&#39;") in html for s in summaries)
    assert "风险" not in html.split("</style>")[1]


def test_the_xlsx_report_holds_numbers_with_a_yuan_format_and_sum_works(demo, tmp_path):
    county = load_county(demo / "county.toml")
    engine = _engine(demo)
    xlsx = tmp_path / "report.xlsx"
    try:
        with engine.connect() as c:
            write_report(c, county, PERIOD, xlsx, output_format="xlsx", today=date(2026, 5, 20))
            fen = [
                (int(a), str(k))
                for a, k in c.execute(
                    sa.text("SELECT amount_fen, subject_id FROM findings WHERE period = :p"),
                    {"p": PERIOD},
                )
            ]
    finally:
        engine.dispose()
    sheet = load_workbook(xlsx).active
    header = [cell.value for cell in sheet[1]]
    amount = header.index("涉及金额(元)") + 1
    cells = [row[amount - 1] for row in sheet.iter_rows(min_row=2)]
    assert cells and all(c.data_type == "n" and c.number_format == MONEY_FORMAT for c in cells)
    # SUM over the column is the total of the findings, to the fen.
    total = sum(Decimal(str(c.value)) for c in cells)
    assert total * 100 == sum(a for a, _ in fen)
    # The stored XML holds the exact decimal, not a binary float's expansion.
    with zipfile.ZipFile(xlsx) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    for a, _ in fen:
        assert f"<v>{yuan(a)}</v>" in xml or f"<v>{yuan(a).normalize():f}</v>" in xml
    keys = header.index("对象编号")
    key_cells = [row[keys] for row in sheet.iter_rows(min_row=2) if row[keys].value]
    assert key_cells and all(c.data_type == "s" for c in key_cells)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions
    widths = {sheet.column_dimensions[col].width for col in "ABCDEFGHIJKLMNOPQRSTU"}
    assert len(widths) > 5
    programs = {row[header.index("项目")].value for row in sheet.iter_rows(min_row=2)}
    codes = set(json.loads((demo / "manifest.json").read_text()).get("programs", [])) | {
        "dibao_rural", "dibao_urban", "tekun", "orphan"
    }  # fmt: skip
    assert programs and not programs & codes
    assert programs & {p.name_zh for p in county.programs.values()}


def test_yuan_is_the_exact_value_of_the_fen():
    assert yuan(12345) == Decimal("123.45")
    assert yuan(-1) == Decimal("-0.01")
    with pytest.raises(TypeError):
        yuan(1.5)  # type: ignore[arg-type]


def test_evidence_reads_as_facts_with_the_ids_apart():
    from ledger.county import example_path
    from ledger.wording import evidence_facts, evidence_ids

    county = load_county(example_path())
    fluctuation = {"recipients": [569, 854], "amount_fen": [30438900, 45408300],
                   "periods": ["2026-09", "2026-10"]}  # fmt: skip
    assert evidence_facts(county, fluctuation, "zh") == [
        "人数 569 → 854", "金额 304,389.00 → 454,083.00元", "期间 2026-09 → 2026-10"
    ]  # fmt: skip
    assert evidence_ids(fluctuation, "zh") == ""
    death = {"instruction_ids": [1269], "line": 4, "refdata_import_id": 1,
             "reference": "ref_deaths"}  # fmt: skip
    assert evidence_facts(county, death, "zh") == ["第4行", "比对：死亡人员名单"]
    assert evidence_ids(death, "zh") == "支付指令 1269; 比对数据导入 1"
    assert evidence_ids(death, "en") == "instructions 1269; reference import 1"
