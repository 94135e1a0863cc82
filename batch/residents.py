"""``ledger batch residents``: the attachment listing the residents of a batch's care
institution lines (集中供养; registered on the ``batch`` group)."""

from pathlib import Path

import click

from ledger.cli_support import AppContext, county_option, pass_app, unmask_option
from ledger.county import County


@click.command()
@click.argument("batch_id", metavar="BATCH", type=int)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the attachment.",
)
@unmask_option
@county_option
@pass_app
def residents(
    app: AppContext, batch_id: int, out_file: str, lang: str, unmask: bool, county: County
) -> None:
    """Write the residents attachment (集中供养人员明细) of batch BATCH to FILE.

    The bank gets one line per care institution (county.toml [institutions]) for its
    residents' total; the attachment lists each such line with its residents (roster
    供养机构) and their amounts, the residents adding up to the line. ID and account
    numbers are masked unless --unmask.
    """
    from ledger import sheets

    with app.reader() as uow:
        text = sheets.render_residents(uow.connection, county, batch_id, lang=lang, unmask=unmask)
    path = Path(out_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"residents attachment of batch {batch_id}: {path}")
