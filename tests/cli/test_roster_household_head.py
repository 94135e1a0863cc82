"""The roster's 是否户主 (household head) column, on SQLite and PostgreSQL: read into
``enrolments.household_head``, a change is a new version, a bad cell refuses the file;
and, for any text, the cell becomes a head marker only when it is one of the words."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import roster
from ledger.tabular import Problems, open_table
from tests.roster_support import (
    counts,
    county_file,
    example_county,
    import_roster,
    query,
    roster_frame,
    write_csv,
)

HEADS = "SELECT r.id_number, e.household_head FROM enrolments e JOIN recipients r ON r.id = e.recipient_id WHERE e.valid_to_import IS NULL ORDER BY e.id"  # noqa: E501


def test_the_head_marker_is_read_and_a_change_of_head_is_a_new_version(
    db_url: str, tmp_path: Path
) -> None:
    frame = roster_frame(4)
    frame["是否户主"] = ["是", "否", "", "YES"]
    county = county_file(tmp_path)
    first = import_roster(
        db_url, county, write_csv(frame, tmp_path / "a.csv"), "--month", "2026-01"
    )
    assert first.exit_code == 0, first.output + first.stderr
    ids = frame["身份证号"].tolist()
    assert [(i, bool(h)) for i, h in query(db_url, HEADS)] == [
        (ids[0], True),
        (ids[1], False),
        (ids[2], False),
        (ids[3], True),
    ]
    frame["是否户主"] = ["否", "是", "", "yes"]
    second = import_roster(
        db_url, county, write_csv(frame, tmp_path / "b.csv"), "--month", "2026-02"
    )
    assert second.exit_code == 0, second.output + second.stderr
    assert "2 changed" in second.output
    assert dict((i, bool(h)) for i, h in query(db_url, HEADS)) == {
        ids[0]: False,
        ids[1]: True,
        ids[2]: False,
        ids[3]: True,
    }


def test_a_roster_without_the_column_marks_nobody_head(db_url: str, tmp_path: Path) -> None:
    frame = roster_frame(3)
    result = import_roster(db_url, county_file(tmp_path), write_csv(frame, tmp_path / "r.csv"))
    assert result.exit_code == 0, result.output + result.stderr
    assert {bool(h) for _, h in query(db_url, HEADS)} == {False}


def test_a_bad_head_marker_refuses_the_file_naming_file_row_and_column(
    db_url: str, tmp_path: Path
) -> None:
    frame = roster_frame(5)
    frame["是否户主"] = ""
    frame.loc[3, "是否户主"] = "也许"
    before = counts(db_url)
    result = import_roster(db_url, county_file(tmp_path), write_csv(frame, tmp_path / "bad.csv"))
    assert result.exit_code == 1
    assert "bad.csv, row 5, column 是否户主: must be 是/否 (yes/no)" in result.stderr
    assert "nothing was changed" in result.stderr
    assert counts(db_url) == before


_FRAME = roster_frame(1)


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=6))
def test_any_text_is_a_head_marker_only_when_it_is_one_of_the_words(text: str) -> None:
    # Through the real reader: the cell is written to a file and read back as text.
    import tempfile

    frame = _FRAME.copy()
    frame["是否户主"] = [text]
    with tempfile.TemporaryDirectory() as directory:
        path = write_csv(frame, Path(directory) / "r.csv")
        table = open_table(path, roster.COLUMNS)
        problems = Problems("r.csv")
        (chunk,) = list(
            roster.validated_chunks(table, example_county(), problems, read_ahead=False)
        )
        read = next(iter(table.chunks(10)))["household_head"].iloc[0]
    marker = [p for p in problems.errors if p.column.startswith("是否户主")]
    word = read.strip().lower()
    if word in roster.HEAD_WORDS:
        assert not marker
        assert bool(chunk["household_head"].iloc[0]) is roster.HEAD_WORDS[word]
    else:
        assert len(marker) == 1 and marker[0].row == 2
