"""``ledger web``: the auditors' console, a web page that follows the money."""

import click

from ledger.cli_support import AppContext, county_option, pass_app
from ledger.county import County
from ledger.db.engine import make_engine, masked_url
from ledger.errors import LedgerError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--actions/--no-actions",
    default=False,
    show_default=True,
    help="Offer the findings lifecycle forms (assign, rectify, verify, dismiss) to the "
    "roles that may use them; without it the console only reads (and records sign-ins "
    "and unmasking).",
)
@click.option(
    "--idle-minutes",
    type=click.FloatRange(1, 240),
    default=15,
    show_default=True,
    help="A session ends after this long without a request.",
)
@click.option(
    "--max-hours",
    type=click.FloatRange(0.1, 24),
    default=8,
    show_default=True,
    help="A session ends this long after sign-in, in any case.",
)
@click.option(
    "--lock-after",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Failed sign-ins in a row that lock an operator out.",
)
@click.option(
    "--lock-minutes",
    type=click.IntRange(1, 1440),
    default=15,
    show_default=True,
    help="How long a lock-out lasts.",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    default=False,
    help="Send the session cookie over HTTPS only (set it behind a TLS proxy).",
)
@click.option(
    "--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Worker threads."
)
@county_option
@pass_app
def web(
    app: AppContext,
    host: str,
    port: int,
    actions: bool,
    idle_minutes: float,
    max_hours: float,
    lock_after: int,
    lock_minutes: int,
    secure_cookies: bool,
    threads: int,
    county: County,
) -> None:
    """Serve the auditors' console over this ledger (docs/web.md): overview, findings
    and their lifecycle, a person's history, batches, bank lines and answers, accounts,
    the trial balance, search, CSV/XLSX downloads. Operators sign in with the password
    `ledger operators set-password` gives them. Pages read through a read-only
    connection; Chinese by default, English with the toggle."""
    try:
        from waitress import create_server

        from ledger.web.app import WebSettings, create_app
        from ledger.web.signin import SignInPolicy
    except ImportError:
        raise LedgerError(
            "the web console needs Flask and waitress: pip install 'ledger[web]'"
        ) from None
    if app.read_only:
        raise LedgerError(
            "the console records sign-ins, lock-outs and unmasking in the ledger: start it "
            "without --read-only (its pages read through a read-only connection anyway)"
        )
    writer = app.engine  # refuses a missing or empty ledger, with what to do
    reader = make_engine(app.db_url, read_only=True)
    settings = WebSettings(
        actions=actions,
        idle_minutes=idle_minutes,
        max_hours=max_hours,
        secure_cookies=secure_cookies,
        sign_in=SignInPolicy(lock_after=lock_after, lock_minutes=lock_minutes),
    )
    application = create_app(reader, writer, county, settings)
    server = create_server(application, host=host, port=port, threads=threads)
    click.echo(
        f"Serving the console for {masked_url(app.db_url)} on http://{host}:{port}/ "
        f"({'with' if actions else 'without'} findings actions). Ctrl-C stops it."
    )
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.close()
        application.config["LEDGER"].chain.stop()
