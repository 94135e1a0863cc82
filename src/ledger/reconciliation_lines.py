"""A return file's lines as the reconciliation stages them (no decisions here).

``transaction_lines`` turns a parsed file into one row per payment line (pain.002's
payment-information and group statuses become a line per unlisted instruction);
``said`` encodes what each line says; ``line_columns`` and ``reason_rows`` are the
values ``reconciliation_store.stage_lines`` writes.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ledger.db import reconciliation_store as store
from ledger.files.returns import ReturnFile, Scope

# Our pain.001 MsgId (and PmtInfId): county + YYYYMM + "B" + batch number (8 digits).
_MESSAGE_ID = re.compile(r"^\d{12}B(\d{8})$")
# What a line says, as positions (``said``).
SAID = ("settled", "failed", "returned", "pending")


def transaction_lines(connection: sa.Connection, parsed: ReturnFile) -> tuple[pd.DataFrame, bool]:
    """The file's transaction lines, plus (pain.002) one line per instruction the report
    does not list that takes its payment-information or group status (settled or
    failed only: a group status of 'accepted' changes nothing); and whether a payment-
    information or group status names one of our batches (the file is about us)."""
    frame = parsed.lines
    scope = frame["scope"].astype(str)
    tx = frame[scope == Scope.TRANSACTION.value]
    statuses = frame[scope != Scope.TRANSACTION.value]
    ours = {b for b in map(_batch_of, statuses.to_dict("records")) if b is not None}
    names_ours = any(store.batch_exists(connection, b) for b in ours)
    summary = statuses[statuses["status"] != "pending"]
    if summary.empty:
        return tx.reset_index(drop=True), names_ours
    listed = set(tx["end_to_end_id"].dropna())
    extra: list[pd.DataFrame] = []
    # A PmtInf status wins over the group status (fallback_statuses' rule); our pain.001
    # has one PmtInf per batch, so the batch is the unit either way.
    ordered = summary.assign(
        _rank=(summary["scope"].astype(str) == Scope.GROUP.value).astype(int)
    ).sort_values("_rank", kind="stable")
    done: set[int] = set()
    for row in ordered.drop(columns=["_rank"]).to_dict("records"):
        batch = _batch_of(row)
        if batch is not None and batch in done:
            continue
        if batch is None or not store.batch_exists(connection, batch):
            # Not one of our messages: an unmatched line of its own.
            extra.append(pd.DataFrame([row]))
            continue
        done.add(batch)
        unlisted = [e for _, e in store.batch_instruction_ids(connection, batch) if e not in listed]
        if not unlisted:
            continue
        copies = pd.DataFrame([row] * len(unlisted))
        copies["end_to_end_id"] = unlisted
        copies["amount_fen"] = pd.array([None] * len(unlisted), dtype="Int64")
        extra.append(copies)
    if not extra:
        return tx.reset_index(drop=True), names_ours
    combined = pd.concat([tx, *extra])
    return combined.reset_index(drop=True), names_ours


def _batch_of(row: Mapping[Hashable, Any]) -> int | None:
    """The batch a payment-information or group status names (our MsgId/PmtInfId)."""
    pmt_inf, msg = row["original_pmt_inf_id"], row["original_msg_id"]
    message = pmt_inf if isinstance(pmt_inf, str) else None
    message = message or (msg if isinstance(msg, str) else "")
    found = _MESSAGE_ID.match(message or "")
    return int(found.group(1)) if found else None


def said(lines: pd.DataFrame) -> np.ndarray:
    """settled / failed / returned / pending per line, as positions in ``SAID``."""
    status = codes(lines["status"].astype(str).to_numpy(dtype=object), SAID)
    returned = lines["is_return"].to_numpy(dtype=bool) & (status == SAID.index("failed"))
    return np.where(returned, SAID.index("returned"), status)


def line_columns(lines: pd.DataFrame) -> dict[str, list[Any]]:
    """Each line's values as staged (``store.LINE_COLUMNS``); blank text is NULL. The
    序号 only matters (matching by batch and line) where the line has no EndToEndId."""
    has_e2e = lines["end_to_end_id"].notna()
    return {
        "end_to_end_id": _column(lines["end_to_end_id"]),
        "sequence": _integers(
            lines["sequence"].mask(has_e2e) if has_e2e.any() else lines["sequence"]
        ),
        "account": _column(lines["account"]),
        "holder_name": _column(lines["holder_name"]),
        "amount_fen": _integers(lines["amount_fen"]),
        "line": lines["line"].to_numpy(dtype=np.int64).tolist(),
        "element": _column(lines["element"]),
        "booking_date": _dates(lines["booking_date"]),
    }


def _dates(column: pd.Series) -> list[str | None]:
    """Dates as YYYY-MM-DD text, NaT as None (a text return has none: no formatting)."""
    if not column.notna().any():
        return [None] * len(column)
    return _column(column.dt.strftime("%Y-%m-%d"))


def reason_rows(lines: pd.DataFrame) -> Iterable[tuple[int, str | None, str | None]]:
    """(seq, reason code, reason text) of the lines that give either."""
    given = (lines["reason_code"].fillna("") != "") | (lines["reason_text"].fillna("") != "")
    rows = np.flatnonzero(given.to_numpy(dtype=bool))
    return zip(
        rows.tolist(),
        _column(lines["reason_code"].iloc[rows]),
        _column(lines["reason_text"].iloc[rows]),
        strict=True,
    )


def _column(column: pd.Series) -> list[str | None]:
    """A text column's values, with <NA> and "" as None."""
    values = np.array(column.to_numpy(dtype=object, na_value=cast(Any, None)), dtype=object)
    if len(values):
        values[values == ""] = None
    return values.tolist()


def _integers(column: pd.Series) -> list[int | None]:
    """An integer column's values as Python ints, with <NA> as None."""
    if column.dtype == np.int64:
        return column.to_numpy().tolist()
    if isinstance(column.dtype, pd.Int64Dtype):
        return column.to_numpy(dtype=object, na_value=cast(Any, None)).tolist()
    return [None if pd.isna(v) else int(v) for v in column.to_numpy(dtype=object)]


def codes(values: np.ndarray, categories: tuple[str, ...]) -> np.ndarray:
    """Values as their positions in ``categories``."""
    found = pd.Categorical(values, categories=list(categories)).codes.astype(np.int64)
    if (found < 0).any():  # programmer error: a status outside the known ones
        raise ValueError(f"unknown values {set(values[found < 0])} (known: {categories})")
    return found
