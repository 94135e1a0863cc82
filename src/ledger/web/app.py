"""The web console (``ledger web``): a Flask application over the ledger's database.

Pages read through a read-only engine (SQLite ``mode=ro``; PostgreSQL
``default_transaction_read_only``), so no page can change the ledger by mistake. A
second engine writes only what the console itself must record: sign-ins and lock-outs,
unmasking (audit events), and, when started with ``--actions``, the findings lifecycle
through the same services the ``ledger findings`` commands use.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import jinja2
import sqlalchemy as sa
from flask import Flask, current_app, g, render_template, request
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from ledger.county import County
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.money import format_yuan
from ledger.web import guard
from ledger.web.chain import ChainWatch
from ledger.web.signin import SignInPolicy

SECRET_ENV = "LEDGER_WEB_SECRET"


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


def _t(zh: str, en: str) -> str:
    return en if g.get("lang") == "en" else zh


def _yuan(fen: Any) -> str:
    return "" if fen is None else format_yuan(int(fen), thousands=True)


def _url_with(**changes: str) -> str:
    """This page's URL with some query arguments changed."""
    args = {k: v for k, v in request.args.to_dict().items() if k not in ("download", "table")}
    args.update(changes)
    return request.path + "?" + urlencode(args)


def _lang_url(lang: str) -> str:
    return _url_with(lang=lang)


def _download_url(table: str, fmt: str) -> str:
    return _url_with(download=fmt, table=table)


def create_app(
    reader: Engine,
    writer: Engine,
    county: County,
    settings: WebSettings | None = None,
    *,
    secret: bytes | None = None,
    start_chain_watch: bool = True,
) -> Flask:
    settings = settings or WebSettings()
    static = resources.files("ledger.statements") / "web" / "static"
    app = Flask("ledger.web", static_folder=str(static), static_url_path="/static")
    app.jinja_loader = jinja2.PackageLoader("ledger.statements", "web")
    app.jinja_env.undefined = jinja2.StrictUndefined
    app.jinja_env.globals.update(t=_t, yuan=_yuan, lang_url=_lang_url, download_url=_download_url)
    env_secret = os.environ.get(SECRET_ENV)
    app.config.update(
        SECRET_KEY=secret or (env_secret.encode() if env_secret else os.urandom(32)),
        SESSION_COOKIE_NAME="ledger_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.max_hours),
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    chain = ChainWatch(reader, every_minutes=settings.verify_every_minutes)
    app.config["LEDGER"] = WebContext(reader, writer, county, settings, chain)
    guard.install(app)

    from ledger.web import pages_auth, pages_findings, pages_money, pages_people, pages_trail

    assert pages_people  # its routes are on the trail's blueprint

    for module in (pages_auth, pages_findings, pages_trail, pages_money):
        app.register_blueprint(module.blueprint)

    @app.errorhandler(LedgerError)
    def refused(error: LedgerError) -> tuple[str, int]:
        page = render_template("error.html.j2", title="400", code=400, message=str(error))
        return page, 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return render_template("error.html.j2", title=str(code), code=code, message=None), code

    if start_chain_watch:
        chain.start()
    return app
