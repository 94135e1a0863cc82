"""What every command shares: the database context, common options, output formats."""

import csv
import io
import json
import re
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
from ledger.operators import COMMAND_ROLES, Operator, Role, name_key

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
    # Set by --operator: who claims to act and the role the command needs.
    actor: tuple[str, Role] | None = None

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
        if self.actor is None:
            return UnitOfWork(self.engine, future_days=self.future_days)
        return CheckedUnitOfWork(self.engine, *self.actor, future_days=self.future_days)

    def reader(self) -> UnitOfWork:
        """A unit of work for reading; nothing it does is committed."""
        return UnitOfWork(self.engine)


class CheckedUnitOfWork(UnitOfWork):
    """A unit of work that, inside its transaction and before anything else, checks that
    the operator may run the command (``ledger.operator_register.authorise``): the one
    place every command's role is checked."""

    def __init__(
        self, engine: Engine, who: str, needed: Role, *, future_days: int | None = None
    ) -> None:
        super().__init__(engine, future_days=future_days)
        self.who, self.needed = who, needed
        self.operator: Operator | None = None

    def __enter__(self) -> "CheckedUnitOfWork":
        from ledger.operator_register import authorise  # the register imports the db layer

        super().__enter__()
        try:
            self.operator = authorise(self.connection, self.who, self.needed)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self


def make_context(db: str | None, read_only: bool) -> AppContext:
    return AppContext(db_url=database_url(db), read_only=read_only or read_only_from_env())


pass_app = click.make_pass_decorator(AppContext)


def _command_role(ctx: click.Context) -> Role:
    path = " ".join(ctx.command_path.split()[1:])
    if path not in COMMAND_ROLES:
        raise RuntimeError(f"command {path!r} takes --operator but has no role in COMMAND_ROLES")
    return COMMAND_ROLES[path]


def _claim_operator(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """Check who claims to act against the role the command needs, before anything else
    is read (give ``--operator`` first and it is checked first); the check is made again
    inside the command's own transaction (``CheckedUnitOfWork``). The name goes on in
    its normalised form, the form operators are registered in."""
    role = _command_role(ctx)
    app = ctx.find_object(AppContext)
    if app is not None:
        app.actor = (value or "", role)
        if not app.read_only:  # a read-only ledger refuses the command anyway
            from ledger.operator_register import authorise

            with app.reader() as uow:
                authorise(uow.connection, value or "", role)
    return name_key(value) if value else ""


def operator_option(func: F) -> F:
    """``--operator``: who does this; a registered operator holding the command's role
    (``ledger.operators.COMMAND_ROLES``). Recorded with every change; required."""
    return click.option(
        "--operator",
        envvar="LEDGER_OPERATOR",
        required=True,
        callback=_claim_operator,
        help="Who performs this action: a registered operator with the role this command "
        "needs (recorded in the ledger; on PostgreSQL your database login). "
        "Env: LEDGER_OPERATOR.",
    )(func)


def admin_operator_option(func: F) -> F:
    """``--operator`` of the operator register's commands: an administrator; not needed
    while no administrator is registered (the first one is being set up)."""
    return click.option(
        "--operator",
        envvar="LEDGER_OPERATOR",
        default=None,
        callback=_claim_operator,
        help="The administrator doing this (not needed until the first administrator is "
        "registered). Env: LEDGER_OPERATOR.",
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
    """A missing or invalid county file is an operating error like any other: one
    ``Error: ...`` (exit 1), not a usage block."""
    path = value or DEFAULT_COUNTY_FILE
    try:
        county = load_county(path)
    except LedgerError as error:
        if value is None and "no such file" in str(error):
            raise click.ClickException(
                f"no county configuration: {DEFAULT_COUNTY_FILE} is not in the working "
                f"directory. Pass --county FILE or set {COUNTY_ENV} "
                "(start from `ledger config example > county.toml`)."
            ) from None
        raise click.ClickException(str(error)) from None
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
    """Print rows as an aligned table, CSV or JSON (``json_document`` if given).

    Numbers: CSV and JSON are for machines and carry amounts as plain decimals of yuan
    (``146684.00``) and ints of fen; the table is for people and writes amounts with
    thousands separators (``146,684.00``), the format of every document."""
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


_PLAIN_YUAN = re.compile(r"-?\d{4,}\.\d{2}")


def _cell(value: Any) -> str:
    """A table cell; a plain yuan amount (two decimals) gets its thousands separators."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and _PLAIN_YUAN.fullmatch(text):
        whole, cents = text.split(".")
        sign = "-" if whole.startswith("-") else ""
        return f"{sign}{int(whole.lstrip('-')):,}.{cents}"
    return text


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
