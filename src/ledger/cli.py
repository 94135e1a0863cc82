"""The ``ledger`` command: the root group and its one error boundary.

Each command group lives in its own module under ``ledger.batch`` (the project's
``batch/`` folder). Domain errors (``LedgerError``) become ``Error: ...`` on stderr with
exit status 1; Ctrl-C says whether anything had been saved and exits 130; anything else
is a bug and keeps its traceback.
"""

import time
from datetime import UTC, datetime
from typing import Any

import click

from ledger import __version__, oplog
from ledger.cli_commands import LAZY, Commands
from ledger.operators import os_login


class LedgerGroup(click.Group):
    """The root group: turns expected operating errors into click errors; imports each
    group when it is used (``ledger.cli_commands``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: Commands = Commands(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of groups, each with its one-line help, importing none of them."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = (
                self.commands[name]
                if self.commands.loaded(name)
                else click.Command(name, help=LAZY[name].summary)
            )
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["ledger.args"] = [str(a) for a in args]  # tests may pass Paths
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; with ``[logging]`` in the county file, log how it ended
        (``ledger.oplog``: who, what, when, exit status, the error line)."""
        args = ctx.meta.get("ledger.args", [])
        settings = oplog.settings_for(args)
        if settings is None:
            return self._invoke(ctx)
        started, clock = datetime.now(UTC), time.perf_counter()
        status, error = 0, None
        try:
            return self._invoke(ctx)
        except click.exceptions.Exit as done:
            status = done.exit_code
            raise
        except click.ClickException as failure:
            status, error = failure.exit_code, failure.format_message()
            raise
        except click.Abort:
            status, error = 1, "aborted"
            raise
        except BaseException as crash:
            status, error = 1, f"{type(crash).__name__}: {crash}"
            raise
        finally:
            try:
                oplog.write(
                    settings,
                    args=args,
                    command=oplog.command_of(args, set(self.commands)),
                    operator=oplog.operator_of(args),
                    login=os_login(),
                    started=started,
                    seconds=time.perf_counter() - clock,
                    status=status,
                    error=error,
                )
            except OSError as failure:
                click.echo(f"Warning: operations log {settings.file}: {failure}", err=True)

    def _invoke(self, ctx: click.Context) -> Any:
        import sqlalchemy as sa

        from ledger.db import uow
        from ledger.db.engine import connection_failure
        from ledger.db.journal_store import database_refusal
        from ledger.errors import LedgerError

        saved_before = uow.commits()
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            saved = uow.commits() - saved_before
            click.echo(
                f"Interrupted after {saved} change(s) had been saved: they are in the ledger; "
                "the work after them was rolled back or not done."
                if saved
                else "Interrupted: the work in progress was rolled back; nothing was saved.",
                err=True,
            )
            ctx.exit(130)
        except LedgerError as error:
            raise click.ClickException(str(error)) from error
        except sa.exc.OperationalError as error:
            if "readonly database" in str(error.orig) or "read-only transaction" in str(error.orig):
                raise click.ClickException(
                    "the database is open read-only and refused a write"
                ) from error
            failure = connection_failure(error, getattr(ctx.obj, "db_url", None))
            if failure is not None:
                raise click.ClickException(failure) from error
            raise
        except sa.exc.DBAPIError as error:
            message = database_refusal(error)
            if message is None:
                raise
            raise click.ClickException(f"the database refused the change: {message}") from error


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ledger")
@click.option(
    "--db",
    envvar="LEDGER_DATABASE_URL",
    default=None,
    metavar="URL",
    help="Database URL or SQLite file path. Env: LEDGER_DATABASE_URL. Default: ./ledger.db.",
)
@click.option(
    "--read-only",
    is_flag=True,
    default=False,
    help="Open the database read-only (auditors); every write is refused. Env: LEDGER_READ_ONLY=1.",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None, read_only: bool) -> None:
    """Ledger of record for social assistance funds (救助资金台账).

    A double-entry ledger of allocations, entitlements and payments per recipient,
    with tamper evidence. Start with `ledger demo` to watch a county's months, or with
    `ledger db upgrade` for a new ledger.
    """
    from ledger.cli_support import make_context

    ctx.obj = make_context(db, read_only)


def main() -> None:
    cli(prog_name="ledger")
