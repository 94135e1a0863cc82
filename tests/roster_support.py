"""Builders for roster, reference-list and allocation tests: files and the CLI."""

from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ledger import synth
from ledger.cli import cli
from ledger.county import County, example_path, load_county

TABLES = (
    "recipients",
    "enrolments",
    "roster_imports",
    "roster_import_details",
    "refdata_imports",
    "ref_deaths",
    "ref_staff",
    "ref_staff_accounts",
    "ref_cadre_relatives",
    "ref_vehicles",
    "ref_property",
    "ref_businesses",
    "ref_provident_fund",
    "allocations",
    "transactions",
    "postings",
    "audit_events",
)


def example_county() -> County:
    return load_county(example_path())


def county_file(tmp_path: Path) -> Path:
    path = tmp_path / "county.toml"
    path.write_text(example_path().read_text(encoding="utf-8"), encoding="utf-8")
    return path


def roster_frame(n: int = 6, seed: int = 1) -> pd.DataFrame:
    """A valid roster of ``n`` people (Chinese headers, text cells)."""
    return synth.roster(example_county(), n, seed=seed, month="2026-01")


def write_csv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
    return path


def run(db_url: str, *args: Any) -> Result:
    runner = CliRunner()
    return runner.invoke(cli, ["--db", db_url, *[str(a) for a in args]], catch_exceptions=False)


def import_roster(db_url: str, county: Path, path: Path, *extra: Any) -> Result:
    return run(
        db_url, "registry", "import", path, "--county", county, "--operator", "alice", *extra
    )


def counts(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            return {
                t: int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one())
                for t in TABLES
            }
    finally:
        engine.dispose()


def query(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.exec_driver_sql(sql)]
    finally:
        engine.dispose()
