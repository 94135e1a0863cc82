"""A small demo county for the web console's tests, its operators' passwords, and the
console served on a free port of the loopback interface (waitress, as `ledger web`)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine

from ledger.county import County, load_county
from ledger.db.engine import database_url, make_engine
from ledger.db.uow import UnitOfWork
from ledger.demo.roles import ADMIN, AUDITOR, CIVIL_AFFAIRS, MAKER
from ledger.demo.run import DemoOptions, run_demo
from ledger.web.app import WebSettings, create_app
from ledger.web.signin import set_password

PASSWORDS = {
    AUDITOR: "audit-pass-0001",
    CIVIL_AFFAIRS: "civil-pass-0001",
    MAKER: "maker-pass-0001",
    ADMIN: "admin-pass-0001",
}


@dataclass
class DemoLedger:
    directory: Path
    url: str
    county: County

    def engines(self) -> tuple[Engine, Engine]:
        return make_engine(self.url, read_only=True), make_engine(self.url)

    def app(self, settings: WebSettings | None = None) -> Flask:
        reader, writer = self.engines()
        app = create_app(
            reader,
            writer,
            self.county,
            settings or WebSettings(actions=True),
            start_chain_watch=False,
        )
        app.config["LEDGER"].chain.check_now()
        return app


def build_demo_ledger(directory: Path) -> DemoLedger:
    """100 recipients, 2 months: every rule category planted, a few seconds."""
    result = run_demo(DemoOptions(directory, 150, 2, 7, "2026-03"))
    url = database_url(str(result.database))
    set_passwords(make_engine(url))
    return DemoLedger(directory, url, load_county(result.county_file))


def set_passwords(engine: Engine, passwords: dict[str, str] = PASSWORDS) -> None:
    for name, password in passwords.items():
        with UnitOfWork(engine) as uow:
            set_password(uow, name, password, by=ADMIN)
    engine.dispose()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app served by waitress on a free port; yields its base URL."""
    from waitress import create_server

    server: Any = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(10)
