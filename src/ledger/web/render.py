"""A page with tables: rendered, or one of its tables downloaded (``?download=csv``
or ``xlsx`` with ``&table=NAME``)."""

from datetime import date
from typing import Any

from flask import Response, abort, g, render_template, request

from ledger.errors import LedgerError
from ledger.web.tables import Table, download


def as_of_arg() -> date | None:
    """The ``as_of`` argument of a page (YYYY-MM-DD), None when not given."""
    text = request.values.get("as_of") or ""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LedgerError(f"as of {text!r}: give a day as YYYY-MM-DD") from None


def show(template: str, tables: dict[str, Table], *, title: str, **values: Any) -> Any:
    fmt = request.args.get("download")
    if fmt is not None:
        name = request.args.get("table", "")
        if fmt not in ("csv", "xlsx") or name not in tables:
            abort(404)
        data, content_type = download(tables[name], fmt, g.lang)
        return Response(
            data,
            content_type=content_type,
            headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
        )
    return render_template(template, tables=tables, title=title, **values)
