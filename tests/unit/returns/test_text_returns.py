"""CSV (GB18030) and fixed-width (GBK) bank returns, written as real bytes to tmp_path."""

from dataclasses import replace
from pathlib import Path

import pytest

from ledger.errors import ValidationError
from ledger.files import profiles as export_profiles
from ledger.files.returns import (
    CSV_GB18030,
    FIXED_GBK,
    AnomalyKind,
    ReturnStatus,
    county_return_profiles,
    detect_format,
    read_return,
    return_profile,
)

TITLES = "序号,户名,身份证号,卡号,金额(元),摘要,业务流水号,状态,失败原因"
ROWS = [
    "1,龚䶮,110101199001011234,6222020200000000001,650.00,2026年11月农村低保金,B202611DB0000001,成功,",
    "2,𠮷田花子,110101199001012345,6222020200000000002,650.5,2026年11月农村低保金,B202611DB0000002,失败,户名不符",
    "3,王五,110101199001013456,6222020200000000003,500,2026年11月农村低保金,B202611DB0000003,失败,账户已冻结",
    "4,赵六,110101199001014567,6222020200000000004,1.01,2026年11月农村低保金,B202611DB0000004,处理中,",
    "5,钱七,110101199001015678,6222020200000000005,88.00,2026年11月农村低保金,B202611DB0000005,失败,卡片过期",
]
TOTAL = "1889.51"  # 650.00 + 650.50 + 500.00 + 1.01 + 88.00


def write_csv(
    tmp_path: Path,
    rows: list[str],
    *,
    totals: str | None = f"总笔数,5,总金额(元),{TOTAL}",
    titles: str = TITLES,
    encoding: str = "gb18030",
    name: str = "return.csv",
) -> Path:
    path = tmp_path / name
    head = [] if totals is None else [totals]
    path.write_bytes(("\r\n".join([*head, titles, *rows]) + "\r\n").encode(encoding))
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ValidationError) as caught:
        read_return(path)
    return str(caught.value)


def test_a_gb18030_csv_return_reads_every_line_with_exact_fen(tmp_path: Path) -> None:
    path = write_csv(tmp_path, ROWS)
    result = read_return(path)
    lines = result.lines
    assert result.format == "csv_gb18030"
    assert result.anomalies == ()
    assert str(lines["amount_fen"].dtype) == "int64"
    assert lines["amount_fen"].tolist() == [65000, 65050, 50000, 101, 8800]
    assert lines["line"].tolist() == [3, 4, 5, 6, 7]
    assert lines["sequence"].tolist() == [1, 2, 3, 4, 5]
    assert lines["holder_name"].tolist()[:2] == ["龚䶮", "𠮷田花子"]
    assert lines["status"].astype(str).tolist() == [
        "settled",
        "failed",
        "failed",
        "pending",
        "failed",
    ]
    records = result.records()
    assert records[0].reason_code is None
    assert records[1].reason_code == "BE01"
    assert records[2].reason_code == "AC06"
    assert records[4].reason_code == "NARR"
    assert records[4].reason_text == "卡片过期"
    assert records[0].end_to_end_id == "B202611DB0000001"
    assert records[3].status is ReturnStatus.PENDING


def test_control_totals_that_contradict_the_lines_are_anomalies_not_refusals(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path, ROWS, totals="总笔数,6,总金额(元),1900.00")
    result = read_return(path)
    assert len(result.lines) == 5
    kinds = {a.kind: str(a) for a in result.anomalies}
    assert "says 6 lines, the file has 5" in kinds[AnomalyKind.CONTROL_COUNT]
    assert "says 190000 fen, the lines sum to 188951 fen (-1049)" in kinds[AnomalyKind.CONTROL_SUM]
    assert kinds[AnomalyKind.CONTROL_SUM].startswith("return.csv:1")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (ROWS[0].replace("650.00", "6五0.00"), "amount '6五0.00' is not a number of yuan"),
        (ROWS[0].replace("650.00", "650.001"), "amount '650.001' has more than 2 decimals"),
        (ROWS[0].replace("650.00", ""), "amount is empty"),
        (ROWS[0].replace("650.00", "６５０.00"), "amount '６５０.00' is not a number of yuan"),
        (ROWS[0].replace("650.00", "-650.00"), "amount '-650.00' is not a number of yuan"),
        (ROWS[0].replace(",成功,", ",已受理,"), "unknown status text '已受理'"),
        (ROWS[0] + ",extra", "10 fields, the column names row has 9"),
        (ROWS[0].rsplit(",", 1)[0], "8 fields, the column names row has 9"),
    ],
)
def test_a_malformed_csv_line_refuses_the_whole_file_naming_line_and_reason(
    tmp_path: Path, row: str, reason: str
) -> None:
    path = write_csv(tmp_path, [*ROWS[1:3], row])
    message = refusal(path)
    assert str(path) in message and "refused whole" in message
    assert f"return.csv:5: {reason}" in message


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    rows = [ROWS[0].replace("650.00", "x"), ROWS[1], ROWS[2].replace(",失败,", ",?,")]
    message = refusal(write_csv(tmp_path, rows))
    assert "return.csv:3: amount 'x'" in message
    assert "return.csv:5: unknown status text '?'" in message
    assert "2 problems" in message


def test_a_csv_with_missing_columns_is_refused(tmp_path: Path) -> None:
    titles = TITLES.replace(",状态", "")
    rows = [r.replace(",成功", "") for r in ROWS[:1]]
    message = refusal(write_csv(tmp_path, rows, titles=titles, totals="总笔数,1,总金额(元),650.00"))
    assert "return.csv:2: missing columns: 状态" in message


def test_a_utf8_file_given_as_gb18030_is_refused_as_bad_encoding(tmp_path: Path) -> None:
    path = tmp_path / "return.csv"
    path.write_bytes(
        "\r\n".join([f"总笔数,5,总金额(元),{TOTAL}", TITLES, *ROWS]).encode("gb18030")
        + b"\r\n9,\xff\xfe\r\n"
    )
    message = refusal(path)
    assert "return.csv:8: bad encoding: byte 0xff at column 3 is not valid gb18030" in message


def test_a_utf8_bom_in_a_gb18030_profile_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "return.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + "\r\n".join([f"总笔数,5,总金额(元),{TOTAL}", TITLES, *ROWS]).encode("utf-8")
    )
    assert "UTF-8 byte-order mark" in refusal(path)


def test_a_bad_totals_line_is_refused(tmp_path: Path) -> None:
    message = refusal(write_csv(tmp_path, ROWS, totals="总笔数,五,总金额(元),1889.51"))
    assert "return.csv:1: 总笔数 '五' is not a number" in message


def test_a_utf8_profile_is_just_another_return_profile(tmp_path: Path) -> None:
    utf8 = replace(CSV_GB18030, name="csv_utf8", encoding="utf-8")
    path = write_csv(tmp_path, ROWS, encoding="utf-8")
    result = read_return(path, utf8)
    assert result.format == "csv_utf8"
    assert result.lines["holder_name"].tolist()[1] == "𠮷田花子"


def test_a_bank_that_does_not_echo_the_end_to_end_id_leaves_it_empty(tmp_path: Path) -> None:
    quiet = replace(CSV_GB18030, name="csv_quiet", echoes_end_to_end_id=False)
    result = read_return(write_csv(tmp_path, ROWS), quiet)
    assert result.lines["end_to_end_id"].isna().all()
    assert result.lines["sequence"].tolist() == [1, 2, 3, 4, 5]


# --- fixed width (widths in GBK bytes) ---------------------------------------------------


def gbk_field(value: str, width: int, *, right: bool = False) -> bytes:
    raw = value.encode("gbk")
    assert len(raw) <= width
    return raw.rjust(width) if right else raw.ljust(width)


def fixed_line(seq: int, name: str, fen: int, e2e: str, status: str, reason: str) -> bytes:
    values = {
        "记录类型": "D",
        "序号": f"{seq:06d}",
        "户名": name,
        "身份证号": "110101199001011234",
        "卡号": "6222020200000000001",
        "金额(分)": f"{fen:015d}",
        "摘要": "2026年11月低保金",
        "业务流水号": e2e,
        "状态": status,
        "失败原因": reason,
    }
    return b"".join(gbk_field(values[c.title], c.width or 0) for c in FIXED_GBK.columns)


def fixed_header(count: int, total_fen: int) -> bytes:
    return (
        b"H"
        + f"{count:010d}".encode()
        + f"{total_fen:018d}".encode()
        + b"0402020109300012345".ljust(32)
        + b"202611"
        + b"20261110"
    )


def write_fixed(
    tmp_path: Path, lines: list[bytes], count: int, total_fen: int, *, header: bool = True
) -> Path:
    path = tmp_path / "return.txt"
    head = [fixed_header(count, total_fen)] if header else []
    path.write_bytes(b"\r\n".join([*head, *lines]) + b"\r\n")
    return path


FIXED_LINES = [
    fixed_line(1, "张三", 65000, "B202611DB0000001", "成功", ""),
    fixed_line(2, "欧阳娜娜", 65050, "B202611DB0000002", "失败", "账户已销户"),
    fixed_line(3, "王五", 1234, "B202611DB0000003", "失败", "户主死亡"),
]


def test_a_gbk_fixed_width_return_pads_chinese_names_by_bytes(tmp_path: Path) -> None:
    path = write_fixed(tmp_path, FIXED_LINES, 3, 131284)
    assert all(len(line) == FIXED_GBK.record_width for line in FIXED_LINES)
    result = read_return(path)
    assert result.format == "fixed_gbk"
    assert result.anomalies == ()
    assert result.lines["holder_name"].tolist() == ["张三", "欧阳娜娜", "王五"]
    assert result.lines["amount_fen"].tolist() == [65000, 65050, 1234]
    assert result.lines["reason_code"].tolist()[1:] == ["AC04", "MD07"]
    assert result.lines["line"].tolist() == [2, 3, 4]


def test_a_fixed_width_line_of_the_wrong_width_is_refused(tmp_path: Path) -> None:
    short = FIXED_LINES[1][:-1]
    message = refusal(write_fixed(tmp_path, [FIXED_LINES[0], short], 2, 130050))
    assert (
        f"return.txt:3: {FIXED_GBK.record_width - 1} bytes, profile fixed_gbk records are"
        in message
    )
    assert "wrong field widths" in message


def test_a_fixed_width_field_that_splits_a_character_is_refused(tmp_path: Path) -> None:
    widths = [c.width or 0 for c in FIXED_GBK.columns]
    line = bytearray(FIXED_LINES[0])
    # Shift the name one byte right: its last byte spills into the 身份证号 field.
    name_start, name_width = widths[0] + widths[1], widths[2]
    line[name_start : name_start + name_width] = (
        b" " + line[name_start : name_start + name_width - 1]
    )
    line[name_start + name_width - 1 : name_start + name_width] = "张".encode("gbk")[:1]
    message = refusal(write_fixed(tmp_path, [bytes(line)], 1, 65000))
    assert (
        "return.txt:2: field 户名 (bytes 8-37) is not valid gbk: a character split by wrong field"
        in message
    )


def test_a_fixed_width_return_with_a_wrong_total_is_an_anomaly(tmp_path: Path) -> None:
    result = read_return(write_fixed(tmp_path, FIXED_LINES, 3, 131285))
    assert [a.kind for a in result.anomalies] == [AnomalyKind.CONTROL_SUM]


def test_text_returns_are_detected_by_content_not_by_name(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path, ROWS, name="bank.dat")
    fixed_path = write_fixed(tmp_path, FIXED_LINES, 3, 131284)
    assert detect_format(csv_path) == "csv_gb18030"
    assert detect_format(fixed_path) == "fixed_gbk"
    other = tmp_path / "other.txt"
    other.write_bytes(b"hello world\r\n")
    with pytest.raises(ValidationError, match="not a return format we know"):
        detect_format(other)


def test_a_county_profile_return_is_read_with_the_export_definition(tmp_path: Path) -> None:
    county = tmp_path / "county.toml"
    county.write_text(
        """
[bank_profiles.abc_csv]
format = "csv"
encoding = "utf-8"
header = [ { title = "笔数", source = "count" }, { title = "合计(分)", source = "total_fen" } ]
columns = [
  { title = "账号", source = "account_number" },
  { title = "户名", source = "account_holder" },
  { title = "金额(分)", source = "amount_fen" },
]
return_columns = [
  { title = "账号", source = "account_number" },
  { title = "户名", source = "account_holder" },
  { title = "金额(分)", source = "amount_fen" },
  { title = "结果", source = "status" },
  { title = "说明", source = "reason" },
]
return_status = { "S" = "settled", "F" = "failed", "P" = "pending" }
""",
        encoding="utf-8",
    )
    (profile,) = county_return_profiles(county)
    assert (profile.name, profile.echoes_end_to_end_id, profile.amount_unit) == (
        "abc_csv", False, "fen",
    )  # fmt: skip
    path = tmp_path / "abc.csv"
    path.write_text(
        "笔数,2,合计(分),1501\n账号,户名,金额(分),结果,说明\n6222,张三,1000,S,\n6223,李四,500,F,无此账户\n",
        encoding="utf-8",
    )
    result = read_return(path, profiles=[profile])
    assert result.format == "abc_csv"
    assert result.lines["amount_fen"].tolist() == [1000, 500]
    assert result.lines["reason_code"].tolist()[1] == "AC01"
    assert result.lines["end_to_end_id"].isna().all()
    assert [a.kind for a in result.anomalies] == [AnomalyKind.CONTROL_SUM]


def test_a_return_profile_needs_a_status_column() -> None:
    from ledger.files.profiles import Field as ExportField

    broken = replace(
        export_profiles.CSV_GB18030,
        name="broken",
        return_columns=(ExportField("金额(元)", "amount_yuan"),),
    )
    with pytest.raises(ValidationError, match="return_columns need a status column"):
        return_profile(broken)


@pytest.mark.parametrize("ending", ["", "\r\n", "\r\n\r\n  \r\n", "\n"])
def test_a_one_line_return_reads_whatever_its_last_line_ending(tmp_path: Path, ending: str) -> None:
    path = tmp_path / "one.csv"
    text = "\r\n".join(["总笔数,1,总金额(元),650.00", TITLES, ROWS[0]]) + ending
    path.write_bytes(text.encode("gb18030"))
    result = read_return(path)
    assert result.lines["end_to_end_id"].tolist() == ["B202611DB0000001"]
    assert result.lines["reason_text"].isna().all() and result.anomalies == ()


def test_a_header_only_return_is_refused_naming_its_last_line(tmp_path: Path) -> None:
    csv = write_csv(tmp_path, [], totals="总笔数,0,总金额(元),0.00")
    assert "return.csv:2: the file has no payment lines" in refusal(csv)
    fixed = write_fixed(tmp_path, [], 0, 0)
    assert "return.txt:1: the file has no payment lines" in refusal(fixed)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ("序号,户名\r\n".encode("utf-16-le"), "binary data (a NUL byte on line 1)"),
        ("序号,户名\r\n".encode("utf-16"), "the file is UTF-16"),
    ],
)
def test_utf16_given_to_a_text_profile_is_refused_naming_file_and_line(
    tmp_path: Path, data: bytes, said: str
) -> None:
    path = tmp_path / "return.csv"
    path.write_bytes(data)
    for profile in (None, "csv_gb18030"):
        with pytest.raises(ValidationError) as caught:
            read_return(path, profile)
        assert f"return.csv:1: {said}" in str(caught.value)
