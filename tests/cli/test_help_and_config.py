"""Every new command has help; `ledger config check` names every problem."""

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.county import example_path

GROUPS = ("config", "registry", "refdata", "funds")


def _commands() -> list[list[str]]:
    out = []
    for name in GROUPS:
        group = cli.commands[name]
        assert isinstance(group, click.Group)
        out.append([name])
        out += [[name, sub] for sub in group.commands]
    return out


@pytest.mark.parametrize("path", _commands(), ids=" ".join)
def test_every_new_command_has_help(path: list[str]) -> None:
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


def test_the_example_configuration_checks_clean_and_prints() -> None:
    result = CliRunner().invoke(cli, ["config", "check", str(example_path())])
    assert result.exit_code == 0
    assert "OK: county 130123" in result.output
    assert "1 care institution," in result.output
    printed = CliRunner().invoke(cli, ["config", "example"])
    assert printed.output == example_path().read_text(encoding="utf-8")


def test_config_check_names_every_problem(tmp_path: Path) -> None:
    text = example_path().read_text(encoding="utf-8")
    text = text.replace('code = "130123"', 'code = "13012"')
    text = text.replace('cnaps = "102100099996"', 'cnaps = "1021"')
    text = text.replace('monthly_cap = "700.00"', 'monthly_cap = "7.001"')
    text = text.replace('name = "河口乡"', 'name = "城关镇"')
    text = text.replace('central = "中央"', 'central = ""')
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert result.exit_code == 1
    for words in (
        "county.code: must be the 6-digit",
        "banks.ICBC.cnaps",
        "programs.dibao_rural.monthly_cap",
        "townships[1].name: township name '城关镇' is also used",
        "sources.central",
    ):
        assert words in result.stderr
    missing = CliRunner().invoke(cli, ["config", "check", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 1
    assert "no such file" in missing.stderr
