"""The command line starts without the heavy libraries: they load in the commands that use
them (issue 20). Each check runs in a fresh interpreter and reads its ``sys.modules``."""

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ledger.cli import cli
from ledger.cli_commands import LAZY

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


def _loaded_after(args: list[str], modules: tuple[str, ...] | list[str] = HEAVY) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(list(modules))],
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


def test_ledger_help_imports_no_group_and_no_sqlalchemy() -> None:
    # The root lists its groups from ledger.cli_commands.LAZY without importing them.
    groups = [f"ledger.batch.{entry.module}" for entry in LAZY.values()]
    assert _loaded_after(["--help"], [*groups, "sqlalchemy"]) == []
    assert _loaded_after(["batch", "--help"], ["ledger.batch.payments"]) == [
        "ledger.batch.payments"
    ]


def test_each_groups_one_line_help_is_its_own() -> None:
    # The table's summaries are the groups' own help, so the lazy list cannot drift.
    for name, entry in LAZY.items():
        group = cli.commands[name]
        assert group.name == name
        listed = click.Command(name, help=entry.summary).get_short_help_str(1000)
        assert listed == group.get_short_help_str(1000), name
    eager = click.Group(commands=dict(cli.commands.items()))
    context = click.Context(cli, info_name="ledger")
    assert (
        cli.get_help(context).split("Commands:")[1]
        == (eager.get_help(click.Context(eager, info_name="ledger")).split("Commands:")[1])
    )


def test_a_command_added_to_a_group_by_another_module_is_there() -> None:
    # kinds adds `batch deduction` and `registry categories`; province `demo province`.
    assert "deduction" in cli.commands["batch"].commands  # type: ignore[attr-defined]
    assert "categories" in cli.commands["registry"].commands  # type: ignore[attr-defined]
    assert "province" in cli.commands["demo"].commands  # type: ignore[attr-defined]
    assert "nonsense" not in cli.commands and cli.commands.get("nonsense") is None
