"""Reading CSV files: Arrow's reader for regular files, pandas' for the others, with the
same cells and the same row numbers either way."""

from pathlib import Path

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


def test_a_short_row_is_padded_as_before(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("身份证号,姓名,备注\n1,甲,x\n2,乙\n3,丙,z\n", "gb18030")
    rows = _rows(path)
    assert [(r["id_number"], r["note"], r[ROW]) for r in rows] == [
        ("1", "x", 2),
        ("2", "", 3),
        ("3", "z", 4),
    ]


def test_a_row_with_extra_fields_keeps_its_known_cells_as_before(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("身份证号,姓名,备注\n1,甲,x\n2,乙,y,extra\n", "utf-8")
    rows = _rows(path)
    assert [(r["id_number"], r["note"], r[ROW]) for r in rows] == [("1", "x", 2), ("2", "y", 3)]
