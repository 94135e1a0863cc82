"""A large roster is read and validated in a worker process, one chunk ahead of the
database: the rows, the problems and what the import stores are the same as inline."""

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger import registry_import, roster, synth
from ledger.errors import ValidationError
from ledger.tabular import Problems, open_table
from tests.roster_support import example_county, roster_frame, write_csv


def _validate(path: Path, read_ahead: bool, limit: int = 1000) -> tuple[pd.DataFrame, Problems]:
    table = open_table(path, roster.COLUMNS)
    problems = Problems(path.name, limit)
    frames = list(
        roster.validated_chunks(
            table, example_county(), problems, chunk_rows=64, read_ahead=read_ahead
        )
    )
    return pd.concat(frames, ignore_index=True), problems


def test_read_ahead_gives_the_same_rows_and_problems_in_every_chunk(tmp_path: Path) -> None:
    frame = roster_frame(400)
    frame.loc[9, "身份证号"] = frame.loc[9, "身份证号"][:17] + "Y"  # chunk 1
    frame.loc[130, "救助项目"] = "nope"  # chunk 3
    frame.loc[260, "月发放金额(元)"] = "1.234"  # chunk 5
    frame.loc[399, "起始月份"] = "2026-13"  # the last, short chunk
    frame.loc[50, "账户户名"] = "别人"  # warnings
    frame.loc[300, "账户户名"] = "别人"
    path = write_csv(frame, tmp_path / "roster.csv")

    inline_rows, inline = _validate(path, read_ahead=False, limit=3)
    ahead_rows, ahead = _validate(path, read_ahead=True, limit=3)

    pd.testing.assert_frame_equal(ahead_rows, inline_rows)
    assert len(ahead_rows) == 400
    assert (ahead.error_count, ahead.warning_count) == (inline.error_count, inline.warning_count)
    assert (ahead.error_count, ahead.warning_count) == (4, 2)
    assert ahead.errors == inline.errors
    assert [p.row for p in ahead.errors] == [11, 132, 262]  # the limit keeps the first 3
    assert ahead.warnings == inline.warnings
    assert [str(p) for p in ahead.warnings] == [str(p) for p in inline.warnings]


def test_a_malformed_file_is_refused_alike_by_the_worker(tmp_path: Path) -> None:
    path = write_csv(roster_frame(5), tmp_path / "broken.csv")
    with path.open("a", encoding="utf-8") as stream:
        stream.write('130123199001011234,"unterminated\n')
    messages = []
    for read_ahead in (False, True):
        with pytest.raises(ValidationError) as raised:
            _validate(path, read_ahead=read_ahead)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "broken.csv" in messages[0]


def _stored(connection: sa.Connection) -> dict[str, list[Any]]:
    """Recipients and enrolments without the surrogate keys and clocks, which a
    rolled-back PostgreSQL sequence does not give back."""
    people = connection.exec_driver_sql(
        "SELECT key, id_number, name, sex, birth_date FROM recipients ORDER BY key"
    )
    versions = connection.exec_driver_sql(
        f"""SELECT r.key, e.program, {", ".join("e." + c for c in roster.VERSIONED)},
                   e.valid_to_import IS NULL
            FROM enrolments e JOIN recipients r ON r.id = e.recipient_id
            ORDER BY r.key, e.program, e.id"""
    )
    return {"recipients": [tuple(r) for r in people], "enrolments": [tuple(r) for r in versions]}


def test_an_import_read_ahead_stores_what_an_inline_import_stores(
    engine: Engine, tmp_path: Path
) -> None:
    county = example_county()
    first = synth.roster(county, 300, seed=3, month="2026-01")
    months = [
        write_csv(first, tmp_path / "m1.csv"),
        write_csv(synth.next_month(first, seed=4), tmp_path / "m2.csv", encoding="gb18030"),
    ]
    outcomes = {}
    with engine.connect() as connection:
        for read_ahead in (False, True):
            transaction = connection.begin()
            results = []
            for number, path in enumerate(months, start=1):
                result = registry_import.import_roster(
                    connection,
                    open_table(path, roster.COLUMNS),
                    county,
                    file_name=path.name,
                    file_sha256=f"{number:064d}",
                    operator="alice",
                    roster_month=f"2026-{number:02d}",
                    read_ahead=read_ahead,
                )
                counts = (result.added, result.changed, result.exited, result.unchanged)
                results.append((result.row_count, *counts))
            outcomes[read_ahead] = (results, _stored(connection))
            transaction.rollback()
    assert outcomes[True] == outcomes[False]
    results, stored = outcomes[True]
    assert results[0][:2] == (300, 300)
    assert sum(results[1][2:4]) > 0  # the second month changed and exited someone
    assert len(stored["recipients"]) >= 300
