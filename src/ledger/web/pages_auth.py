"""Signing in and out."""

from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for

from ledger.web import guard
from ledger.web.runtime import context, writing
from ledger.web.signin import SignInRefused, sign_in

blueprint = Blueprint("auth", __name__)


def _safe_next(value: str | None) -> str:
    """Only a path of this site (no scheme, no host: never an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return url_for("findings.overview")
    return value


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    message = request.args.get("m")
    error = None
    if request.method == "POST":
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        try:
            with writing() as uow:
                operator = sign_in(
                    uow,
                    name,
                    password,
                    policy=context().settings.sign_in,
                    remote=request.remote_addr or "",
                )
        except SignInRefused as refused:
            error = str(refused)
        else:
            import time

            lang = session.get("lang", "zh")
            session.clear()
            session.permanent = True
            now = time.time()
            session.update(op=operator.key, issued=now, seen=now, lang=lang)
            guard.csrf_token()
            return redirect(_safe_next(request.form.get("next")))
    return render_template(
        "login.html.j2",
        title="登录",
        message=message,
        error=error,
        next=request.values.get("next", ""),
    ), (401 if error else 200)


@blueprint.route("/logout", methods=["POST"])
@guard.page()
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))
