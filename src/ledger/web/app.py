"""The web console (``ledger web``): a Flask application over the ledger's database.

Pages read through a read-only engine (SQLite ``mode=ro``; PostgreSQL
``default_transaction_read_only``), so no page can change the ledger by mistake. A
second engine writes only what the console itself must record: sign-ins and lock-outs,
unmasking (audit events), and, when started with ``--actions``, the findings lifecycle
through the same services the ``ledger findings`` commands use.
"""

import os
from datetime import timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import jinja2
from flask import Flask, g, render_template, request
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from ledger.county import County
from ledger.errors import LedgerError
from ledger.money import format_yuan
from ledger.web import guard, pages_auth, pages_findings, pages_money, pages_people, pages_trail
from ledger.web.chain import ChainWatch
from ledger.web.runtime import WebContext, WebSettings

SECRET_ENV = "LEDGER_WEB_SECRET"


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
