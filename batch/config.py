"""``ledger config``: check the county configuration, print the documented example."""

from pathlib import Path

import click

from ledger.county import example_path, load_county


@click.group()
def config() -> None:
    """The county configuration (县级配置: townships, programs, banks, thresholds)."""


@config.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate a county configuration file and name every problem in it."""
    county = load_county(file)
    villages = sum(len(t.villages) for t in county.townships.values())
    click.echo(
        f"{file}: OK: county {county.code} {county.name}: {len(county.townships)} townships, "
        f"{villages} villages, {len(county.programs)} programs, {len(county.banks)} banks, "
        f"{len(county.sources)} fund sources, {len(county.institutions)} care "
        f"institution{'' if len(county.institutions) == 1 else 's'}, "
        f"pay day {county.pay_day}."
    )


@config.command()
def example() -> None:
    """Print the documented example configuration (start a county.toml from it)."""
    click.echo(example_path().read_text(encoding="utf-8"), nl=False)
