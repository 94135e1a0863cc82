"""The asset lists through `ledger refdata import`, on both databases: a good file of each
kind is stored (money in fen, areas in dm²), a bad line is named by file, row and
column with nothing written, and the same file again exits 0 changing nothing."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ledger import synth
from ledger.refdata_assets import uscc_check_char, uscc_ok
from tests.roster_support import counts, query, run, write_csv


def _ids(n: int, seed: int = 7) -> list[str]:
    return synth.id_numbers(np.random.default_rng(seed), n, "130123").tolist()


def _import(db_url: str, kind: str, path: Path):  # type: ignore[no-untyped-def]
    return run(db_url, "refdata", "import", kind, path, "--operator", "carol")


def uscc(n: int, kind: str = "91") -> str:
    body = f"{kind}130123MA{n:07d}"
    return body + uscc_check_char(body)


def test_credit_codes_are_checked_by_their_check_character() -> None:
    good = uscc(1)
    assert uscc_ok(good) and uscc_ok("91110000600037341L")  # a real one (Beijing)
    assert not uscc_ok(good[:17] + ("0" if good[17] != "0" else "1"))
    assert not uscc_ok(good[:16] + "I" + good[17])  # I is not in the alphabet
    assert not uscc_ok(good[:17])


def test_a_vehicle_list_is_stored_in_fen_and_a_bad_line_is_named(
    db_url: str, tmp_path: Path
) -> None:
    ids = _ids(3)
    frame = pd.DataFrame(
        {
            "身份证号": ids,
            "姓名": ["甲", "乙", "丙"],
            "号牌号码": ["冀A·12345", "冀AD12345", "冀A1234挂"],
            "车辆类型": ["小型轿车", "小型轿车", "重型半挂车"],
            "车辆价值(元)": ["85,000.50", "", "¥120000"],
            "初次登记日期": ["2019-03-01", "", "2021/7/9"],
            "状态": ["正常", "", "报废"],
        }
    )
    result = _import(db_url, "vehicles", write_csv(frame, tmp_path / "vehicles.csv", "gb18030"))
    assert result.exit_code == 0, result.stderr
    rows = query(db_url, "SELECT plate, value_fen, active FROM ref_vehicles ORDER BY row_no")
    assert [(p, v, bool(a)) for p, v, a in rows] == [
        ("冀A12345", 8_500_050, True),
        ("冀AD12345", None, True),
        ("冀A1234挂", 12_000_000, False),
    ]
    bad = frame.copy()
    bad.loc[1, "车辆价值(元)"] = "85000.505"
    bad.loc[2, "号牌号码"] = "A12345"
    bad.loc[0, "状态"] = "也许"
    bad.loc[2, "身份证号"] = ids[0][:17] + ("0" if ids[0][17] != "0" else "1")
    refused = _import(db_url, "vehicles", write_csv(bad, tmp_path / "vehicles2.csv"))
    assert refused.exit_code == 1
    said = "vehicles2.csv, row 3, column 车辆价值(元): '85000.505' has more than 2"
    assert said in refused.stderr
    assert "row 4, column 号牌号码: not a number plate" in refused.stderr
    assert "row 2, column 状态: unknown status" in refused.stderr
    assert "row 4, column 身份证号: wrong check character" in refused.stderr
    assert counts(db_url)["ref_vehicles"] == 3 and counts(db_url)["refdata_imports"] == 1


def test_a_property_list_keeps_areas_and_co_owners(db_url: str, tmp_path: Path) -> None:
    ids = _ids(2)
    frame = pd.DataFrame(
        {
            "身份证号": [ids[0], ids[1], ids[0]],
            "不动产权证号": ["冀(2020)示范县不动产权第1号", "冀(2020)示范县不动产权第1号",
                       "冀(2022)示范县不动产权第9号"],
            "坐落": ["城关镇东街1号", "城关镇东街1号", "河口乡"],
            "用途": ["住宅", "住宅", "车位"],
            "建筑面积(平方米)": ["86.5", "86.5", "12"],
        }
    )  # fmt: skip
    result = _import(db_url, "property", write_csv(frame, tmp_path / "property.csv"))
    assert result.exit_code == 0, result.stderr
    assert query(db_url, "SELECT area_dm2 FROM ref_property ORDER BY row_no") == [
        (8650,),
        (8650,),
        (1200,),
    ]
    bad = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    bad.loc[1, "建筑面积(平方米)"] = "八十"
    refused = _import(db_url, "property", write_csv(bad, tmp_path / "property2.csv"))
    assert refused.exit_code == 1
    assert "property2.csv, row 3, column 建筑面积(平方米): not an area" in refused.stderr
    assert (
        "row 5, column 不动产权证号: the same certificate and owner as row 2 (duplicate)"
        in refused.stderr
    )
    assert counts(db_url)["ref_property"] == 3


def test_a_business_list_takes_capital_in_yuan_or_wan_and_checks_credit_codes(
    db_url: str, tmp_path: Path
) -> None:
    ids = _ids(3)
    frame = pd.DataFrame(
        {
            "身份证号": ids,
            "统一社会信用代码": [uscc(1), uscc(2), uscc(3, "92")],
            "企业名称": ["示范县甲公司", "示范县乙公司", "丙便利店"],
            "身份": ["法定代表人", "股东", "经营者"],
            "注册资本(元)": ["500000.00", "", ""],
            "注册资本(万元)": ["", "12.5", ""],
            "登记状态": ["存续", "吊销", ""],
        }
    )
    result = _import(db_url, "business", write_csv(frame, tmp_path / "business.csv"))
    assert result.exit_code == 0, result.stderr
    rows = query(db_url, "SELECT capital_fen, active FROM ref_businesses ORDER BY row_no")
    assert [(c, bool(a)) for c, a in rows] == [
        (50_000_000, True),
        (12_500_000, False),
        (None, True),
    ]
    bad = frame.copy()
    bad.loc[0, "统一社会信用代码"] = uscc(1)[:17] + ("0" if uscc(1)[17] != "0" else "1")
    bad.loc[1, "注册资本(元)"] = "1"
    bad.loc[2, "企业名称"] = ""
    bad.loc[2, "身份"] = "股" * 33
    refused = _import(db_url, "business", write_csv(bad, tmp_path / "business2.csv"))
    assert refused.exit_code == 1
    assert "business2.csv, row 2, column 统一社会信用代码: not a unified" in refused.stderr
    assert "row 3, column 注册资本(元): give the capital in one column" in refused.stderr
    assert "row 4, column 企业名称: required value is missing" in refused.stderr
    assert "row 4, column 身份: longer than 32 characters" in refused.stderr
    assert counts(db_url)["ref_businesses"] == 3


def test_a_provident_fund_list_imported_again_exits_0_and_changes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    ids = _ids(2)
    frame = pd.DataFrame(
        {
            "身份证号": ids,
            "缴存单位": ["示范县某公司", "某厂"],
            "月缴存额(元)": ["360.00", "480"],
            "缴至年月": ["2026-10", "2025-12"],
            "缴存状态": ["正常", "封存"],
        }
    )
    path = write_csv(frame, tmp_path / "fund.csv")
    assert _import(db_url, "provident_fund", path).exit_code == 0
    assert query(
        db_url, "SELECT monthly_deposit_fen, paid_to FROM ref_provident_fund ORDER BY row_no"
    ) == [(36_000, "2026-10"), (48_000, "2025-12")]
    before = counts(db_url)
    again = _import(db_url, "provident_fund", path)
    assert again.exit_code == 0, again.stderr
    assert "fund.csv: already imported: this exact file is provident_fund import 1" in again.output
    assert counts(db_url) == before
    status = run(db_url, "refdata", "status", "--format", "csv")
    assert "provident_fund,2,latest import,1" in status.output
    bad = frame.copy()
    bad.loc[1, "月缴存额(元)"] = "-5"
    bad.loc[0, "缴至年月"] = "2026-13"
    refused = _import(db_url, "provident_fund", write_csv(bad, tmp_path / "fund2.csv"))
    assert refused.exit_code == 1
    assert "fund2.csv, row 3, column 月缴存额(元): '-5': a negative amount" in refused.stderr
    assert "row 2, column 缴至年月: not a month" in refused.stderr
    assert counts(db_url) == before


@pytest.mark.parametrize("kind", ["vehicles", "property", "business", "provident_fund"])
def test_a_list_without_its_required_columns_is_refused(
    db_url: str, tmp_path: Path, kind: str
) -> None:
    path = write_csv(pd.DataFrame({"身份证号": _ids(1)}), tmp_path / f"{kind}.csv")
    refused = _import(db_url, kind, path)
    assert refused.exit_code == 1
    assert f"{kind}.csv" in refused.stderr and "missing" in refused.stderr
    assert counts(db_url)["refdata_imports"] == 0
