"""The command line starts without the heavy libraries: they load in the commands that use
them (issue 20). Each check runs in a fresh interpreter and reads its ``sys.modules``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "pandas",
    "numpy",
    "pyarrow",
    "alembic",
    "openpyxl",
    "lxml",
    "jinja2",
    "ledger.demo.run",
    "ledger.findings.report",
    "ledger.findings.service",
    "ledger.export.tables",
)

PROBE = """
import json, sys
from ledger.cli import cli
args = json.loads(sys.argv[1])
if args:
    cli(args, prog_name="ledger", standalone_mode=False)
heavy = json.loads(sys.argv[2])
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def _loaded_after(args: list[str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["batch", "--help"], ["audit", "--help"], ["report", "--help"]],
    ids=lambda a: " ".join(["ledger", *a]),
)
def test_the_command_line_loads_no_heavy_module(args: list[str]) -> None:
    assert _loaded_after(args) == []


def test_batch_list_loads_no_heavy_module(sqlite_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    db.write_bytes(sqlite_template.read_bytes())
    assert _loaded_after(["--db", str(db), "batch", "list"]) == []
