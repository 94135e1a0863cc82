"""Reading CSV files: Arrow's reader for regular files, pandas' for the others, with the
same cells and the same row numbers either way."""

from pathlib import Path

import openpyxl
import pytest

from ledger.errors import ValidationError
from ledger.tabular import ROW, Column, open_table

COLUMNS = (
    Column("id_number", "身份证号"),
    Column("name", "姓名"),
    Column("note", "备注", required=False),
)


def _rows(path: Path, chunk_rows: int = 2) -> list[dict[str, object]]:
    table = open_table(path, COLUMNS)
    return [row for chunk in table.chunks(chunk_rows) for row in chunk.to_dict("records")]


def test_a_regular_file_is_read_in_chunks_with_its_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('身份证号,姓名,备注\n1, 甲 ,x\n\n"2\n3",乙,\n4,丙,y\n5,丁,z\n', "utf-8-sig")
    rows = _rows(path)
    assert [(r["id_number"], r["name"], r["note"], r[ROW]) for r in rows] == [
        ("1", "甲", "x", 2),
        ("2\n3", "乙", "", 4),
        ("4", "丙", "y", 5),
        ("5", "丁", "z", 6),
    ]


@pytest.mark.parametrize(
    ("text", "row", "fields", "side"),
    [
        ("身份证号,姓名,备注\n1,甲,x\n2,乙\n3,丙,z\n", 3, 2, "fewer"),
        ("身份证号,姓名,备注\n1,甲,x\n2,乙,y,extra\n", 3, 4, "more"),
        ("身份证号,姓名,备注\n1,甲,x\n\n2,乙,y,\n", 4, 4, "more"),
    ],
)
def test_a_row_with_a_field_too_many_or_too_few_is_refused_naming_it(
    tmp_path: Path, text: str, row: int, fields: int, side: str
) -> None:
    path = tmp_path / "shape.csv"
    path.write_text(text, "gb18030")
    with pytest.raises(ValidationError) as caught:
        _rows(path)
    assert caught.value.problems == [
        f"{path}, row {row} (line {row}): {fields} fields, {side} than the 3 of the header "
        "(a stray or missing comma, or an unquoted comma inside a value?)"
    ]
    assert "nothing was changed" in caught.value.message


def test_every_misshapen_row_is_named_after_a_quoted_line_break(tmp_path: Path) -> None:
    path = tmp_path / "shape.csv"
    path.write_text('身份证号,姓名,备注\n"1\n1",甲,x\n2,乙\n3,丙,z,\n', "utf-8")
    with pytest.raises(ValidationError) as caught:
        _rows(path)
    assert [p.split(": ")[0] for p in caught.value.problems] == [
        f"{path}, row 3 (line 4)",
        f"{path}, row 4 (line 5)",
    ]


def test_a_file_of_one_long_line_is_refused_as_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"a" * 10_000_000)
    with pytest.raises(ValidationError, match=r"one-line\.csv: line 1 is longer than 65,536"):
        open_table(path, COLUMNS)


def test_a_cell_too_large_for_a_csv_field_is_refused_naming_its_row(tmp_path: Path) -> None:
    path = tmp_path / "huge-cell.csv"
    path.write_text("身份证号,姓名,备注\n1,甲,x\n2," + "乙" * 3_000_000 + ",y\n", "utf-8")
    with pytest.raises(ValidationError) as caught:
        _rows(path)
    assert caught.value.problems[0].startswith(f"{path}, row 3 (line 3): not readable as CSV")


def test_a_large_cell_in_a_row_of_the_right_shape_is_read(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("身份证号,姓名,备注\n1,甲,x\n2,乙," + "y" * 100_000 + "\n", "utf-8")
    assert [len(str(r["note"])) for r in _rows(path)] == [1, 100_000]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("utf-16", "UTF-16 text (it starts with a UTF-16 byte order mark)"),
        ("utf-16-le", "a NUL byte at offset 1 (line 1): UTF-16 text (without a byte order"),
        ("utf-16-be", "a NUL byte at offset 0 (line 1): UTF-16 text (without a byte order"),
    ],
)
def test_utf16_text_is_refused_naming_the_file_and_what_it_is(
    tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "unicode.csv"
    path.write_bytes("id_number,name\n130123199001011237,王五\n".encode(content))
    with pytest.raises(ValidationError) as caught:
        open_table(path, COLUMNS)
    assert str(caught.value).startswith(f"{path}: ")
    assert words in str(caught.value)


def test_binary_data_is_refused_naming_the_offset_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes("身份证号,姓名\n1,甲\n2,乙\n".encode() + bytes(range(256)))
    with pytest.raises(ValidationError) as caught:
        open_table(path, COLUMNS)
    assert str(caught.value) == (
        f"{path}: a NUL byte at offset 32 (line 4): binary data, not a CSV text file"
    )
    undecodable = tmp_path / "bytes.csv"
    undecodable.write_bytes("身份证号,姓名\n1,甲\n".encode() + b"\x81\xff\xfe\n")
    with pytest.raises(ValidationError, match=r"first undecodable byte at offset 26, line 3"):
        open_table(undecodable, COLUMNS)


def test_a_workbook_saved_as_csv_is_named(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    openpyxl.Workbook().save(path)
    with pytest.raises(ValidationError, match=r"a ZIP archive \(an XLSX workbook saved"):
        open_table(path, COLUMNS)


def test_a_workbook_row_with_values_right_of_the_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in (["身份证号", "姓名", "备注"], ["1", "甲"], ["2", "乙", "", "shifted"]):
        sheet.append(values)
    book.save(path)
    with pytest.raises(ValidationError) as caught:
        _rows(path)
    assert caught.value.problems == [
        f"{path}, row 3: a value right of the header's last column (3 columns): a shifted row?"
    ]
