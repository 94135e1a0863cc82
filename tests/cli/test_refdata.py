"""Reference lists: deaths, staff, cadres; validation and atomicity, on both databases."""

from pathlib import Path

import numpy as np
import pandas as pd

from ledger import synth
from tests.roster_support import counts, query, run, write_csv


def _ids(n: int, seed: int = 4) -> list[str]:
    return synth.id_numbers(np.random.default_rng(seed), n, "130123").tolist()


def _import(db_url: str, kind: str, path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run(db_url, "refdata", "import", kind, path, "--operator", "carol", *extra)


def test_a_death_registry_is_imported_and_counted(db_url: str, tmp_path: Path) -> None:
    ids = _ids(3)
    frame = pd.DataFrame(
        {
            "身份证号": ids,
            "姓名": ["甲", "乙", "丙"],
            "死亡日期": ["2026-01-03"] * 3,
            "数据来源": ["公安", "", ""],
        }
    )
    path = write_csv(frame, tmp_path / "deaths.csv", encoding="gb18030")
    result = _import(db_url, "deaths", path, "--source", "殡葬")
    assert result.exit_code == 0, result.stderr
    assert query(
        db_url, "SELECT source, COUNT(*) FROM ref_deaths GROUP BY source ORDER BY source"
    ) == [
        ("公安", 1),
        ("殡葬", 2),
    ]
    status = run(db_url, "refdata", "status", "--format", "csv")
    assert "deaths,3,cumulative,1" in status.output


def test_a_bad_death_registry_is_refused_whole(db_url: str, tmp_path: Path) -> None:
    ids = _ids(4)
    frame = pd.DataFrame(
        {
            "身份证号": [ids[0], ids[1][:17] + ("0" if ids[1][17] != "0" else "1"), ids[2], ids[2]],
            "死亡日期": ["2026-01-03", "2026-01-04", "2099-01-01", "2026-01-05"],
        }
    )
    path = write_csv(frame, tmp_path / "deaths.csv")
    result = _import(db_url, "deaths", path)
    assert result.exit_code == 1
    assert "deaths.csv, row 3, column 身份证号: wrong check character" in result.stderr
    assert "row 4, column 死亡日期: in the future" in result.stderr
    assert "row 2, column 数据来源: required value is missing" in result.stderr
    assert "row 5, column 身份证号: the same ID as row 4" in result.stderr
    assert counts(db_url)["refdata_imports"] == 0 and counts(db_url)["ref_deaths"] == 0


def test_a_staff_roster_keeps_each_salary_account(db_url: str, tmp_path: Path) -> None:
    ids = _ids(2)
    frame = pd.DataFrame(
        {
            "身份证号": ids,
            "姓名": ["赵一", "钱二"],
            "工作单位": ["民政局", "某镇政府"],
            "银行账号": ["6222020000000000001; 6228480000000000002", ""],
        }
    )
    result = _import(db_url, "staff", write_csv(frame, tmp_path / "staff.csv"))
    assert result.exit_code == 0, result.stderr
    assert counts(db_url)["ref_staff"] == 2
    assert sorted(r[0] for r in query(db_url, "SELECT account_number FROM ref_staff_accounts")) == [
        "6222020000000000001",
        "6228480000000000002",
    ]
    bad = frame.copy()
    bad.loc[1, "银行账号"] = "12AB"
    bad.loc[0, "工作单位"] = ""
    refused = _import(db_url, "staff", write_csv(bad, tmp_path / "staff2.csv"))
    assert refused.exit_code == 1
    assert "row 3, column 银行账号" in refused.stderr
    assert "row 2, column 工作单位: required value is missing" in refused.stderr
    assert counts(db_url)["refdata_imports"] == 1


def test_a_cadre_roster_records_relatives_and_filings(db_url: str, tmp_path: Path) -> None:
    ids = _ids(4)
    frame = pd.DataFrame(
        {
            "干部身份证号": [ids[0], ids[0], ids[1]],
            "干部姓名": ["孙村长", "孙村长", "李会计"],
            "职务": ["村主任", "村主任", "会计"],
            "亲属身份证号": [ids[2], ids[3], ""],
            "亲属姓名": ["孙父", "孙妻", ""],
            "关系": ["父母", "配偶", ""],
            "是否备案": ["是", "否", ""],
        }
    )
    result = _import(db_url, "cadres", write_csv(frame, tmp_path / "cadres.csv"))
    assert result.exit_code == 0, result.stderr
    rows = query(
        db_url,
        "SELECT relation, filed FROM ref_cadre_relatives ORDER BY row_no",
    )
    assert [(r[0], bool(r[1])) for r in rows] == [("父母", True), ("配偶", False), (None, False)]
    bad = frame.copy()
    bad.loc[1, "关系"] = ""
    bad.loc[2, "是否备案"] = "也许"
    bad.loc[2, "亲属姓名"] = "某人"
    refused = _import(db_url, "cadres", write_csv(bad, tmp_path / "cadres2.csv"))
    assert refused.exit_code == 1
    assert "row 3, column 关系: required for a relative" in refused.stderr
    assert "row 4, column 是否备案: must be 是/否" in refused.stderr
    assert "row 4, column 亲属身份证号: a relative is named" in refused.stderr
    assert counts(db_url)["ref_cadre_relatives"] == 3


def test_a_reference_list_with_a_misshapen_row_is_refused_naming_it(
    db_url: str, tmp_path: Path
) -> None:
    ids = _ids(2)
    path = tmp_path / "deaths.csv"
    path.write_text(
        f"身份证号,姓名,死亡日期,数据来源\n{ids[0]},甲,2026-01-03,公安\n{ids[1]},乙,2026-01-04\n",
        encoding="utf-8",
    )
    result = _import(db_url, "deaths", path)
    assert result.exit_code == 1
    assert "deaths.csv, row 3 (line 3): 3 fields, fewer than the 4 of the header" in result.stderr
    assert counts(db_url)["refdata_imports"] == 0


def test_a_reference_list_imported_again_says_so_and_exits_0(db_url: str, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"身份证号": _ids(2), "姓名": ["甲", "乙"], "死亡日期": ["2026-01-03"] * 2,
         "数据来源": ["公安", "公安"]}
    )  # fmt: skip
    path = write_csv(frame, tmp_path / "deaths.csv")
    assert _import(db_url, "deaths", path).exit_code == 0
    before = counts(db_url)
    again = _import(db_url, "deaths", path)
    assert again.exit_code == 0, again.stderr
    assert "deaths.csv: already imported: this exact file is deaths import 1" in again.output
    assert "nothing changed." in again.output
    assert counts(db_url) == before
