"""History across monthly imports: versions, `registry show`, `registry diff`, --partial."""

from pathlib import Path

from tests.roster_support import (
    county_file,
    import_roster,
    query,
    roster_frame,
    run,
    write_csv,
)


def _two_months(db_url: str, tmp_path: Path) -> tuple[list[str], Path]:
    county = county_file(tmp_path)
    first = roster_frame(6)
    first.loc[:, "乡镇"] = ["城关镇", "城关镇", "城关镇", "河口乡", "河口乡", "河口乡"]
    first.loc[:, "村"] = ["东街社区", "东街社区", "西街社区", "河口村", "河口村", "柳树村"]
    first.loc[:, "救助项目"] = "dibao_rural"
    first.loc[:, "月发放金额(元)"] = "500.00"
    first.loc[:, "起始月份"] = "2025-06"
    result = import_roster(
        db_url, county, write_csv(first, tmp_path / "jan.csv"), "--month", "2026-01"
    )
    assert result.exit_code == 0, result.stderr
    second = first.copy()
    second.loc[0, "月发放金额(元)"] = "550.00"  # amount change, 城关镇
    second.loc[1, "银行账号"] = roster_frame(9, seed=5).loc[8, "银行账号"]  # account change
    second.loc[1, "开户银行"] = roster_frame(9, seed=5).loc[8, "开户银行"]
    second.loc[3, "状态"] = "退出"  # exit recorded by the file, 河口乡
    second.loc[3, "退出日期"] = "2026-01-20"
    second = second.drop(index=4)  # absent from February: exited, 河口乡
    newcomer = roster_frame(7, seed=3).iloc[[6]].copy()
    newcomer.loc[:, "乡镇"], newcomer.loc[:, "村"] = "河口乡", "河口村"
    newcomer.loc[:, "救助项目"], newcomer.loc[:, "月发放金额(元)"] = "dibao_rural", "400.00"
    second = __import__("pandas").concat([second, newcomer], ignore_index=True)
    result = import_roster(
        db_url, county, write_csv(second, tmp_path / "feb.csv"), "--month", "2026-02"
    )
    assert result.exit_code == 0, result.stderr
    assert "1 added, 2 changed, 2 exited, 2 unchanged" in result.output
    return list(first["身份证号"]), county


def test_a_second_month_records_changes_as_new_versions_and_never_overwrites(
    db_url: str, tmp_path: Path
) -> None:
    ids, _ = _two_months(db_url, tmp_path)
    versions = query(
        db_url,
        "SELECT r.id_number, e.amount_fen, e.status, e.end_month, e.valid_from_import, "
        "e.valid_to_import FROM enrolments e JOIN recipients r ON r.id = e.recipient_id "
        "ORDER BY r.id, e.valid_from_import",
    )
    by_person: dict[str, list[tuple]] = {}
    for row in versions:
        by_person.setdefault(row[0], []).append(row[1:])
    assert by_person[ids[0]] == [(50000, "active", None, 1, 2), (55000, "active", None, 2, None)]
    assert by_person[ids[2]] == [(50000, "active", None, 1, None)]
    assert by_person[ids[3]] == [
        (50000, "active", None, 1, 2),
        (50000, "exited", "2026-01", 2, None),
    ]
    # Absent from February's roster: exited, paid up to January.
    assert by_person[ids[4]] == [
        (50000, "active", None, 1, 2),
        (50000, "exited", "2026-01", 2, None),
    ]
    assert len(by_person) == 7
    current = query(db_url, "SELECT COUNT(*) FROM enrolments WHERE valid_to_import IS NULL")
    assert current == [(7,)]


def test_registry_diff_counts_changes_per_township(db_url: str, tmp_path: Path) -> None:
    _, county = _two_months(db_url, tmp_path)
    result = run(db_url, "registry", "diff", "--county", county, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("township,township_name,added,exited,amount_changes,account_changes")
    assert lines[1] == "T01,城关镇,0,0,1,1,0,50.00"
    assert lines[2] == "T02,河口乡,1,2,0,0,0,-600.00"
    first = run(db_url, "registry", "diff", "1", "--county", county, "--format", "csv")
    assert "T01,城关镇,3,0,0,0,0,1500.00" in first.output


def test_registry_show_masks_numbers_and_lists_each_change(db_url: str, tmp_path: Path) -> None:
    ids, _ = _two_months(db_url, tmp_path)
    shown = run(db_url, "registry", "show", ids[0])
    assert shown.exit_code == 0, shown.stderr
    assert ids[0] not in shown.output
    assert f"{ids[0][:6]}********{ids[0][-4:]}" in shown.output
    assert "amount 500.00→550.00" in shown.output
    assert "alice" in shown.output
    account = run(db_url, "registry", "show", ids[1], "--unmask")
    assert ids[1] in account.output
    assert "account " in account.output
    exited = run(db_url, "registry", "show", "R0000005", "--format", "json")
    assert '"status": "exited"' in exited.output
    assert ids[4] not in exited.output
    missing = run(db_url, "registry", "show", "R9999999")
    assert missing.exit_code == 1
    assert "no recipient" in missing.stderr


def test_a_partial_import_leaves_other_townships_alone(db_url: str, tmp_path: Path) -> None:
    _, county = _two_months(db_url, tmp_path)
    only_t01 = roster_frame(6)
    only_t01.loc[:, "乡镇"], only_t01.loc[:, "村"] = "城关镇", "东街社区"
    only_t01.loc[:, "救助项目"], only_t01.loc[:, "月发放金额(元)"] = "dibao_rural", "500.00"
    only_t01.loc[:, "起始月份"] = "2025-06"
    only_t01 = only_t01.iloc[[0]]
    path = write_csv(only_t01, tmp_path / "mar.csv")
    result = import_roster(db_url, county, path, "--month", "2026-03", "--partial")
    assert result.exit_code == 0, result.stderr
    # Persons 2 and 3 (城关镇) are absent and exited; 河口乡's people are untouched.
    assert "2 exited" in result.output
    active = query(
        db_url,
        "SELECT e.township, COUNT(*) FROM enrolments e WHERE e.valid_to_import IS NULL "
        "AND e.status = 'active' GROUP BY e.township ORDER BY e.township",
    )
    assert active == [("T01", 1), ("T02", 2)]
    listed = run(db_url, "registry", "imports")
    assert "T01" in listed.output and "mar.csv" in listed.output
