"""The README's "month by hand": every command of the marked block, replayed in order.

The block sits between ``<!-- walkthrough:start -->`` and ``<!-- walkthrough:end -->``.
``ledger ...`` lines run through click's CliRunner in a temporary directory; ``cd`` moves
into a folder there; ``#`` lines are comments. A command whose group or subcommand this
build does not have yet ends the replay (what follows depends on it): the test checks
everything before it and names what it did not run in a warning.
"""

import os
import re
import shlex
import warnings
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ledger.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(
    r"<!-- walkthrough:start -->\s*```\w*\n(.*?)```\s*<!-- walkthrough:end -->", re.S
)


def walkthrough_commands() -> list[str]:
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no walkthrough block"
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _exists(args: list[str]) -> bool:
    """Whether ``ledger ARGS`` names a command this build has."""
    command: click.Command = cli
    words = [a for a in args if not a.startswith("-")]
    for word in words:
        if not isinstance(command, click.Group):
            return True
        if word not in command.commands:
            # A group that also runs on its own (``ledger demo``) takes options, not words.
            return command.invoke_without_command and words.index(word) > 0
        command = command.commands[word]
    return True


def test_the_readme_names_real_commands_only_in_its_walkthrough() -> None:
    commands = walkthrough_commands()
    assert commands[0].startswith("ledger demo --files-only")
    assert all(c.split()[0] in ("ledger", "cd") for c in commands), commands


def test_a_new_user_can_replay_the_readme_month_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LEDGER_DATABASE_URL", "LEDGER_COUNTY", "LEDGER_READ_ONLY", "LEDGER_OPERATOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    commands = walkthrough_commands()
    for index, line in enumerate(commands):
        words = shlex.split(line)
        if words[0] == "cd":
            os.chdir(words[1])
            continue
        args = words[1:]
        if not _exists(args):
            warnings.warn(
                f"README walkthrough: replayed {index} commands; not in this build yet, so "
                "not run: " + " | ".join(commands[index:]),
                stacklevel=1,
            )
            break
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, f"{line}\n{result.output}"
