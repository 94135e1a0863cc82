"""补发 back pay beyond the window is refused at the roster import, on both databases:
a person new in a program whose start month lies before months the ledger already ran,
beyond [backpay] window_months, would not be back-paid for them; the import names the
file, row and column, and changes nothing."""

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ledger import payments
from ledger.county import load_county
from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from tests.roster_support import counts, county_file, import_roster, roster_frame, write_csv


def county_with_window(tmp_path: Path, months: int) -> Path:
    path = county_file(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "window_months = 12" in text
    path.write_text(text.replace("window_months = 12", f"window_months = {months}"), "utf-8")
    return path


def three_months_run(db_url: str, tmp_path: Path, county_path: Path) -> pd.DataFrame:
    """Three people from 2025-12, imported for 2026-01; 2026-01 to 2026-03 run."""
    frame = roster_frame(3)
    frame.loc[:, "起始月份"] = "2025-12"
    first = import_roster(
        db_url, county_path, write_csv(frame, tmp_path / "jan.csv"), "--month", "2026-01"
    )
    assert first.exit_code == 0, first.output + first.stderr
    county, engine = load_county(county_path), make_engine(db_url)
    try:
        for month in ("2026-01", "2026-02", "2026-03"):
            with UnitOfWork(engine) as uow:
                now = datetime(2026, int(month[5:]), 2, tzinfo=UTC)
                assert payments.run_batches(uow, county, month, operator="maker", now=now).created
    finally:
        engine.dispose()
    return frame


def with_newcomer(frame: pd.DataFrame, start_month: str) -> pd.DataFrame:
    newcomer = roster_frame(1, seed=99)
    newcomer.loc[:, "起始月份"] = start_month
    newcomer.loc[:, "救助项目"] = frame.loc[1, "救助项目"]  # a program the months were run for
    newcomer.loc[:, "户编号"] = "H13012399999999"
    return pd.concat([frame, newcomer], ignore_index=True)


def test_a_start_month_beyond_the_window_is_refused_naming_file_row_and_column(
    db_url: str, tmp_path: Path
) -> None:
    county_path = county_with_window(tmp_path, 2)
    frame = three_months_run(db_url, tmp_path, county_path)
    # April's roster, window 2 months: back pay reaches February; January was run
    # without the newcomer (start 2025-11) and would be lost.
    path = write_csv(with_newcomer(frame, "2025-11"), tmp_path / "apr.csv")
    before = counts(db_url)
    result = import_roster(db_url, county_path, path, "--month", "2026-04")
    assert result.exit_code == 1
    assert "apr.csv, row 5, column 起始月份: " in result.stderr
    assert "run for 1 month(s) from 2026-01 without this person" in result.stderr
    assert "window_months = 2, from 2026-02" in result.stderr
    assert "nothing was changed" in result.stderr
    assert counts(db_url) == before


def test_a_start_month_inside_the_window_and_people_already_known_are_accepted(
    db_url: str, tmp_path: Path
) -> None:
    county_path = county_with_window(tmp_path, 2)
    frame = three_months_run(db_url, tmp_path, county_path)
    # The three known people keep their early start month (they were paid: not back
    # pay); the newcomer starts inside the window.
    path = write_csv(with_newcomer(frame, "2026-02"), tmp_path / "apr.csv")
    result = import_roster(db_url, county_path, path, "--month", "2026-04")
    assert result.exit_code == 0, result.output + result.stderr
    assert "1 added" in result.output


def test_a_window_of_zero_refuses_nothing(db_url: str, tmp_path: Path) -> None:
    county_path = county_with_window(tmp_path, 0)
    frame = three_months_run(db_url, tmp_path, county_path)
    path = write_csv(with_newcomer(frame, "2025-11"), tmp_path / "apr.csv")
    result = import_roster(db_url, county_path, path, "--month", "2026-04")
    assert result.exit_code == 0, result.output + result.stderr
