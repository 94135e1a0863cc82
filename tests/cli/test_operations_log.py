"""The operations log (county.toml [logging]): one line per command with who, what,
when and how it ended; ID and card numbers masked; the file rotates; on SQLite and
PostgreSQL."""

import os
from pathlib import Path

from click.testing import CliRunner

from ledger.cli import cli
from ledger.oplog import mask_text
from tests.roster_support import county_file, import_roster, roster_frame, run, write_csv
from tests.support.findings import pid


def _logged_county(tmp_path: Path, max_bytes: int = 1_000_000, backups: int = 3) -> Path:
    county = county_file(tmp_path)
    log = tmp_path / "logs" / "operations.log"
    log.parent.mkdir()
    with county.open("a", encoding="utf-8") as out:
        out.write(f'\n[logging]\nfile = "{log.as_posix()}"\nmax_bytes = {max_bytes}\n'
                  f"backups = {backups}\n")  # fmt: skip
    return county


def test_each_command_is_logged_with_its_outcome_and_numbers_masked(db_url, tmp_path):
    county = _logged_county(tmp_path)
    log = tmp_path / "logs" / "operations.log"
    roster = write_csv(roster_frame(3), tmp_path / "roster.csv")
    assert import_roster(db_url, county, roster).exit_code == 0
    person = pid(7)
    card = "6222021234567890123"
    failed = run(db_url, "audit", "history", person, "--county", county, "--note", card)
    assert failed.exit_code != 0
    # A command without --county finds the log through LEDGER_COUNTY (the server's way).
    missing = CliRunner().invoke(
        cli, ["--db", db_url, "findings", "show", "99"], env={"LEDGER_COUNTY": str(county)}
    )
    assert missing.exit_code == 1
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    first, second, third = lines
    assert 'command="registry import"' in first and "operator=alice" in first
    assert "exit=0" in first and "error=" not in first
    assert 'command="audit history"' in second and "exit=2" in second
    assert person not in second and person[:6] + "********" + person[-4:] in second
    assert card not in second and card[:6] + "*********" + card[-4:] in second
    assert 'command="findings show"' in third and "exit=1" in third
    assert 'error="no finding 99"' in third
    if db_url.startswith("postgresql"):
        password_url = db_url.replace("postgres@", "postgres:secret@", 1)
        run(password_url, "findings", "list", "--county", county)
        assert "secret" not in log.read_text(encoding="utf-8")


def test_the_log_rotates_and_keeps_the_configured_backups(tmp_path):
    county = _logged_county(tmp_path, max_bytes=1024, backups=2)
    runner = CliRunner()
    for _ in range(40):
        runner.invoke(cli, ["config", "check", str(county)], env={"LEDGER_COUNTY": str(county)})
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert logs == ["operations.log", "operations.log.1", "operations.log.2"]
    assert all(os.path.getsize(tmp_path / "logs" / n) <= 1024 for n in logs)


def test_without_logging_configured_nothing_is_written(tmp_path):
    county = county_file(tmp_path)
    result = CliRunner().invoke(cli, ["config", "check", str(county)])
    assert result.exit_code == 0
    assert not (tmp_path / "logs").exists()


def test_a_bad_logging_table_is_a_county_problem(tmp_path):
    county = county_file(tmp_path)
    with county.open("a", encoding="utf-8") as out:
        out.write('\n[logging]\nfile = ""\nbackups = 0\nlevel = "debug"\n')
    result = CliRunner().invoke(cli, ["config", "check", str(county)])
    assert result.exit_code == 1
    for text in ("logging.file", "logging.backups", "logging.level: unknown setting"):
        assert text in result.output


def test_masking_leaves_other_numbers_alone():
    assert mask_text("batch 12 amount 60000 id 11010519491231002X") == (
        "batch 12 amount 60000 id 110105********002X"
    )
    assert mask_text("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
