"""What every request passes: the session and its expiry, the role the page needs, the
CSRF token of every POST, and the security headers of every answer.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Strict; Secure with
``--secure-cookies`` behind HTTPS) holding only the operator's key, the CSRF token, the
times and the language; the operator is loaded again from the register on every request,
so a disabled operator or a revoked role takes effect at once. A session ends after
``idle_minutes`` without a request and ``max_hours`` after sign-in.

Every view declares the roles that may see it (``page`` or ``action``); a view without a
declaration is refused, so no page can be left unguarded by forgetting it.
"""

import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ledger.db import operators_store
from ledger.operators import COMMAND_ROLES, Role
from ledger.web.runtime import reading
from ledger.web.signin import CONSOLE_ROLES

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = frozenset({"auth.login", "static"})
# Who may see ID and card numbers in full (each time an audit event).
UNMASK_ROLES = frozenset({Role.AUDITOR, Role.CIVIL_AFFAIRS})

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def page(*roles: Role) -> Callable[[F], F]:
    """A reading page: the console's roles unless narrower ``roles`` are given."""

    def mark(view: F) -> F:
        view.roles = frozenset(roles) if roles else CONSOLE_ROLES  # type: ignore[attr-defined]
        view.writes = False  # type: ignore[attr-defined]
        return view

    return mark


def action(command: str) -> Callable[[F], F]:
    """A writing form: the role ``COMMAND_ROLES`` gives the same CLI command, and only
    when the console runs with ``--actions``."""

    def mark(view: F) -> F:
        view.roles = frozenset({COMMAND_ROLES[command]})  # type: ignore[attr-defined]
        view.writes = True  # type: ignore[attr-defined]
        return view

    return mark


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _csrf_ok() -> bool:
    sent = request.form.get("csrf", "")
    held = session.get("csrf", "")
    return bool(held) and hmac.compare_digest(str(sent), str(held))


def _to_login(message: str | None = None) -> Response:
    args = {"next": request.full_path.rstrip("?")} if request.method == "GET" else {}
    if message:
        args["m"] = message
    return redirect(url_for("auth.login") + ("?" + urlencode(args) if args else ""))


def before_request() -> Response | None:
    settings = current_app.config["LEDGER"].settings
    lang = request.args.get("lang")
    if lang in ("zh", "en"):
        session["lang"] = lang
    g.lang = session.get("lang", "zh")
    g.operator = None
    if request.method == "POST" and not _csrf_ok():
        abort(400, description="csrf")
    if request.endpoint in PUBLIC:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        abort(404)
    key = session.get("op")
    if not key:
        return _to_login()
    now = time.time()
    if (
        now - float(session.get("seen", 0)) > settings.idle_minutes * 60
        or now - float(session.get("issued", 0)) > settings.max_hours * 3600
    ):
        session.clear()
        return _to_login("expired")
    with reading() as connection:
        operator = operators_store.load(connection, str(key))
    if operator is None or not operator.active or not operator.roles & CONSOLE_ROLES:
        session.clear()
        return _to_login("expired")
    session["seen"] = now
    g.operator = operator
    roles = getattr(view, "roles", None)
    if roles is None or not operator.roles & roles:
        abort(403)
    if getattr(view, "writes", False) and not settings.actions:
        abort(403)
    return None


def after_request(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Every page and download carries ledger data, most of it personal.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def may(command: str) -> bool:
    """Whether the signed-in operator may use the writing form of ``command`` here."""
    operator = g.get("operator")
    if operator is None or not current_app.config["LEDGER"].settings.actions:
        return False
    return COMMAND_ROLES[command] in operator.roles


def may_unmask() -> bool:
    operator = g.get("operator")
    return operator is not None and bool(operator.roles & UNMASK_ROLES)


def install(app: Flask) -> None:
    app.before_request(before_request)
    app.after_request(after_request)
    app.jinja_env.globals.update(csrf_token=csrf_token, may=may, may_unmask=may_unmask)
