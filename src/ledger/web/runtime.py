"""What every page of the console reaches during a request: the settings, the engines
and the county (``WebContext``, on the Flask app), a read-only connection (``reading``)
and a unit of work on the writing engine (``writing``). ``ledger.web.app`` builds the
context; the guard and the pages use it (so no page module imports the app)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Engine

from ledger.county import County
from ledger.db.uow import UnitOfWork
from ledger.web.chain import ChainWatch
from ledger.web.signin import SignInPolicy


@dataclass(frozen=True)
class WebSettings:
    actions: bool = False  # offer the findings lifecycle forms
    idle_minutes: float = 15
    max_hours: float = 8
    secure_cookies: bool = False
    sign_in: SignInPolicy = field(default_factory=SignInPolicy)
    verify_every_minutes: float = 60
    page_rows: int = 500  # rows a table shows; its download has them all


@dataclass
class WebContext:
    reader: Engine
    writer: Engine
    county: County
    settings: WebSettings
    chain: ChainWatch


def context() -> WebContext:
    ctx: WebContext = current_app.config["LEDGER"]
    return ctx


@contextmanager
def reading() -> Iterator[sa.Connection]:
    """A connection of the read-only engine, in a transaction that is never committed."""
    with UnitOfWork(context().reader) as uow:
        yield uow.connection


def writing() -> UnitOfWork:
    return UnitOfWork(context().writer, future_days=context().county.future_days)
