"""``ledger db``: create and upgrade the database schema."""

import click

from ledger.cli_support import AppContext, pass_app
from ledger.db import migrate, operators_store
from ledger.errors import ReadOnlyError


@click.group()
def db() -> None:
    """Create, upgrade and inspect the database schema."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_app
def upgrade(app: AppContext, revision: str) -> None:
    """Create or upgrade the schema (a new database is ready after this one command).

    On PostgreSQL, run it as the database owner: it also grants the operators' group
    roles the tables the upgrade added."""
    if app.read_only:
        raise ReadOnlyError("cannot upgrade a database opened read-only")
    before = migrate.current_revision(app.schema_engine)
    migrate.upgrade(app.schema_engine, revision)
    after = migrate.current_revision(app.schema_engine)
    regranted = operators_store.regrant_after_upgrade(app.schema_engine)
    if before == after:
        click.echo(f"Database is up to date at {after}.")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to {after}.")
    if regranted:
        click.echo("Operator group roles granted the tables of this revision.")


@db.command()
@pass_app
def current(app: AppContext) -> None:
    """Show the schema revision of the database and the newest one available."""
    now = migrate.current_revision(app.schema_engine)
    head = migrate.head_revision()
    click.echo(f"current: {now or 'empty (run `ledger db upgrade`)'}")
    click.echo(f"head:    {head}")
    if now != head:
        raise SystemExit(1)
