"""Build return frames from column lists, and turn frames back into records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ledger.files.returns.model import COLUMNS, ReturnRecord, ReturnStatus, Scope

STATUS_DTYPE = pd.CategoricalDtype([s.value for s in ReturnStatus])
SCOPE_DTYPE = pd.CategoricalDtype([s.value for s in Scope])
# The columns every XML parser fills for a line (each adds its own: scope, dates ...).
LINE_KEYS = (
    "line",
    "element",
    "end_to_end_id",
    "original_msg_id",
    "original_pmt_inf_id",
    "account",
    "holder_name",
    "amount_fen",
    "status",
    "reason_code",
    "reason_text",
)
_TEXT = ("element",)
_OPTIONAL_TEXT = (
    "end_to_end_id",
    "original_msg_id",
    "original_pmt_inf_id",
    "account",
    "holder_name",
    "reason_code",
    "reason_text",
    "credit_debit",
)


def text_column(values: Any) -> pd.Series:
    """Optional text: "" and None both become <NA>."""
    series = pd.Series(values, dtype="string")
    return series.mask(series == "")


def _no_text(length: int) -> pd.Series:
    """An optional text column with no values (built by Arrow: no list of 10^6 Nones)."""
    return pd.Series(pd.array(pa.nulls(length, pa.string()), dtype=pd.StringDtype("pyarrow")))


def date_column(values: Sequence[str | None] | pd.Series) -> pd.Series:
    """ISO dates (YYYY-MM-DD) as datetime64; None/"" become NaT. Validated by the parsers."""
    series = pd.Series(values, dtype="object").replace("", None)
    return pd.to_datetime(series, format="%Y-%m-%d")


def build_frame(source_file: str, columns: dict[str, Any], length: int) -> pd.DataFrame:
    """A frame with exactly ``COLUMNS``; missing columns are filled with their empty value."""
    out: dict[str, Any] = {}
    for name in COLUMNS:
        given = columns.get(name)
        if name == "source_file":
            out[name] = pd.Categorical([source_file] * length) if given is None else given
        elif name == "line":
            out[name] = np.asarray(given, dtype=np.int64)
        elif name in _TEXT:
            out[name] = pd.Series([""] * length if given is None else given, dtype="string")
        elif name == "scope":
            values = [Scope.TRANSACTION.value] * length if given is None else given
            out[name] = pd.Series(values, dtype=SCOPE_DTYPE)
        elif name == "sequence":
            out[name] = pd.Series([None] * length if given is None else given, dtype="Int64")
        elif name in _OPTIONAL_TEXT:
            out[name] = _no_text(length) if given is None else text_column(given)
        elif name == "amount_fen":
            out[name] = given
        elif name == "status":
            out[name] = pd.Series(given, dtype=STATUS_DTYPE)
        elif name in ("booking_date", "value_date"):
            out[name] = date_column([None] * length if given is None else given)
        elif name == "is_return":
            out[name] = np.zeros(length, dtype=bool) if given is None else np.asarray(given, bool)
    frame = pd.DataFrame(
        {k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in out.items()}
    )
    return frame


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def frame_to_records(frame: pd.DataFrame) -> list[ReturnRecord]:
    """Rows as ``ReturnRecord`` values (small frames only: one object per row)."""
    records = []
    for row in frame.itertuples(index=False):
        values = {name: _plain(getattr(row, name)) for name in COLUMNS}
        values["status"] = ReturnStatus(values["status"])
        values["scope"] = Scope(values["scope"])
        values["element"] = values["element"] or ""
        values["is_return"] = bool(values["is_return"])
        booking: date | None = values["booking_date"]
        values["booking_date"] = booking
        records.append(ReturnRecord(**values))
    return records
