"""Every warning of a roster import is stored and listed (the import prints a grouped
summary); warnings are shown with the errors of a refused file; on SQLite and
PostgreSQL."""

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.roster_support import (
    counts,
    county_file,
    import_roster,
    query,
    roster_frame,
    run,
    write_csv,
)


def test_a_roster_with_5890_warnings_stores_and_lists_them_all(db_url: str, tmp_path: Path):
    frame = roster_frame(5890)
    frame["账户户名"] = "别人"  # every row: the holder differs from the name (a warning)
    frame.loc[7, "性别"] = "女" if frame.loc[7, "性别"] == "男" else "男"  # and one more
    path = write_csv(frame, tmp_path / "warnings.csv")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 0, result.stderr
    assert "5891 warning(s)" in result.stderr
    # Printed grouped: one line for the 5,890 rows of one message, not 1,000 lines.
    assert len([x for x in result.stderr.splitlines() if x.startswith("Warning:")]) <= 3
    assert "registry warnings 1" in result.stderr
    assert query(db_url, "SELECT COUNT(*) FROM roster_import_warnings") == [(5891,)]

    listed = run(db_url, "registry", "warnings", "1", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    rows = list(csv.DictReader(io.StringIO(listed.output)))
    assert len(rows) == 5891
    assert [int(r["row"]) for r in rows] == sorted(int(r["row"]) for r in rows)
    holder = [r for r in rows if r["column"] == "账户户名"]
    assert {int(r["row"]) for r in holder} == set(range(2, 5892))
    assert {r["message"] for r in holder} == {
        "differs from the recipient's name (account held by someone else?)"
    }
    assert any(r["row"] == "9" and r["column"] == "性别" for r in rows)

    as_json = json.loads(run(db_url, "registry", "warnings", "1", "--format", "json").output)
    assert len(as_json) == 5891 and as_json[0]["file"].endswith("warnings.csv")
    table = run(db_url, "registry", "warnings", "1").output
    assert table.startswith("Import 1: 5891 warning(s).")
    assert "imports" in run(db_url, "registry", "warnings", "2").output  # no such import

    engine = sa.create_engine(db_url)
    try:
        for statement in (
            "UPDATE roster_import_warnings SET message = 'x'",
            "DELETE FROM roster_import_warnings",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as c:
                c.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_a_refused_file_shows_its_warnings_with_its_errors(db_url: str, tmp_path: Path):
    frame = roster_frame(6)
    frame.loc[1, "身份证号"] = "not-an-id"
    frame.loc[3, "账户户名"] = "别人"
    path = write_csv(frame, tmp_path / "mixed.csv")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 1
    assert "row 3, column 身份证号" in result.stderr
    assert "and 1 warning(s), to check as well:" in result.stderr
    assert "warning: " in result.stderr and "row 5, column 账户户名: differs" in result.stderr
    assert counts(db_url)["roster_imports"] == 0
    assert query(db_url, "SELECT COUNT(*) FROM roster_import_warnings") == [(0,)]
