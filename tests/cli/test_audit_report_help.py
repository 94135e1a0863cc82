"""Every audit and report command has help, and every option says what it does."""

import click
import pytest
from click.testing import CliRunner

from ledger.cli import cli


def _commands() -> list[list[str]]:
    out = []
    for name in ("audit", "report"):
        group = cli.commands[name]
        assert isinstance(group, click.Group)
        out.append([name])
        out += [[name, sub] for sub in group.commands]
    return out


@pytest.mark.parametrize("path", _commands(), ids=" ".join)
def test_every_audit_and_report_command_has_help(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert command.help
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{' '.join(path)} {param.name} has no help"


def test_every_audit_query_command_speaks_table_csv_and_json() -> None:
    audit = cli.commands["audit"]
    assert isinstance(audit, click.Group)
    for name, command in audit.commands.items():
        if name == "export":  # --format there is the file format
            continue
        formats = [p for p in command.params if p.name == "output_format"]
        assert formats, f"audit {name} has no --format"
        assert list(formats[0].type.choices) == ["table", "csv", "json"]  # type: ignore[attr-defined]
