"""What every command shares: the database context, common options, output formats."""

import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import click
from sqlalchemy.engine import Engine

from ledger.cells import neutralise_cell
from ledger.county import County, load_county
from ledger.db import migrate
from ledger.db.engine import database_url, make_engine, read_only_from_env, sqlite_file_missing
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ReadOnlyError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """Created by the root command; commands get their engine from it lazily."""

    db_url: str
    read_only: bool
    # The county's [limits] future_days, once a command has loaded its configuration
    # (``--county``); commands that read none post with the journal's default.
    future_days: int | None = None
    _engine: Engine | None = field(default=None, repr=False)
    _schema_engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The engine of a ledger database: refused, with what to do, where there is no
        ledger yet (a missing SQLite file is not created; an empty database is named)."""
        if self._engine is None:
            missing = sqlite_file_missing(self.db_url)
            if missing is not None:
                raise LedgerError(
                    f"no ledger here: the database file {missing} does not exist. Create one "
                    "with `ledger db upgrade`, run `ledger demo`, or point --db (or "
                    "LEDGER_DATABASE_URL) at an existing ledger"
                )
            engine = self.schema_engine
            if migrate.current_revision(engine) is None:
                raise LedgerError(
                    f"no ledger here: {engine.url.render_as_string(hide_password=True)} has "
                    "no ledger schema. Create it with `ledger db upgrade`"
                )
            self._engine = engine
        return self._engine

    @property
    def schema_engine(self) -> Engine:
        """The engine whatever the database holds (``ledger db`` creates the schema)."""
        if self._schema_engine is None:
            self._schema_engine = make_engine(self.db_url, read_only=self.read_only)
        return self._schema_engine

    def unit_of_work(self) -> UnitOfWork:
        """A unit of work for a state change; refused in read-only mode."""
        if self.read_only:
            raise ReadOnlyError(
                "the ledger is open read-only (--read-only or LEDGER_READ_ONLY): "
                "this command would change it"
            )
        return UnitOfWork(self.engine, future_days=self.future_days)

    def reader(self) -> UnitOfWork:
        """A unit of work for reading; nothing it does is committed."""
        return UnitOfWork(self.engine)


def make_context(db: str | None, read_only: bool) -> AppContext:
    return AppContext(db_url=database_url(db), read_only=read_only or read_only_from_env())


pass_app = click.make_pass_decorator(AppContext)


def operator_option(func: F) -> F:
    """``--operator``: who does this. Recorded with every change; required."""
    return click.option(
        "--operator",
        envvar="LEDGER_OPERATOR",
        required=True,
        help="Who performs this action (recorded in the ledger). Env: LEDGER_OPERATOR.",
    )(func)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="Output format.",
    )(func)


class Day(click.DateTime):
    """A date option: YYYY-MM-DD, shown so in the help (click shows ``[%Y-%m-%d]``)."""

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "YYYY-MM-DD"


DAY = Day()


def as_of_option(func: F) -> F:
    return click.option(
        "--as-of",
        type=DAY,
        default=None,
        help="Only transactions effective on or before this date (YYYY-MM-DD).",
    )(func)


COUNTY_ENV = "LEDGER_COUNTY"
DEFAULT_COUNTY_FILE = "county.toml"


def _load_county_option(ctx: click.Context, param: click.Parameter, value: str | None) -> County:
    path = value or DEFAULT_COUNTY_FILE
    try:
        county = load_county(path)
    except LedgerError as error:
        if value is None and "no such file" in str(error):
            raise click.UsageError(
                f"no county configuration: {DEFAULT_COUNTY_FILE} is not in the working "
                f"directory. Pass --county FILE or set {COUNTY_ENV} "
                "(start from `ledger config example > county.toml`)."
            ) from None
        raise click.BadParameter(str(error), ctx=ctx, param=param) from None
    app = ctx.find_object(AppContext)
    if app is not None:
        app.future_days = county.future_days
    return county


def county_option(func: F) -> F:
    """``--county FILE``: the county configuration, passed to the command as ``county``
    (a loaded, validated ``County``). Env: LEDGER_COUNTY; default ./county.toml."""
    return click.option(
        "--county",
        "county",
        envvar=COUNTY_ENV,
        default=None,
        metavar="FILE",
        callback=_load_county_option,
        help=f"County configuration (TOML). Env: {COUNTY_ENV}. Default: ./{DEFAULT_COUNTY_FILE}.",
    )(func)


def unmask_option(func: F) -> F:
    """``--unmask``: show ID and card numbers in full (they are masked by default)."""
    return click.option(
        "--unmask",
        is_flag=True,
        default=False,
        help="Show ID and card numbers in full (default: first 6 and last 4 only).",
    )(func)


def progress_enabled() -> bool:
    """Progress bars go to stderr, and only when stderr is a terminal."""
    return sys.stderr.isatty()


def to_date(value: Any) -> date | None:
    """click.DateTime gives a datetime; the ledger works in dates."""
    return None if value is None else value.date()


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    output_format: str,
    *,
    json_document: Any = None,
) -> None:
    """Print rows as an aligned table, CSV or JSON (``json_document`` if given)."""
    if output_format == "json":
        click.echo(
            json.dumps(
                rows if json_document is None else json_document,
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
        return
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise_cell(row.get(c)) for c in columns])
        click.echo(buffer.getvalue(), nl=False)
        return
    text_rows = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in text_rows]) for i, c in enumerate(columns)]
    click.echo("  ".join(_pad(c, widths[i]) for i, c in enumerate(columns)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in text_rows:
        click.echo("  ".join(_pad(v, widths[i]) for i, v in enumerate(r)).rstrip())


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
