"""CSV and fixed-width bank returns, read by a ``ReturnProfile``, column-wise with pandas.

Amounts are read as text and converted exactly (``amounts.column_to_fen``), never via
float. Anything malformed refuses the whole file, listing every problem with its line.
CSV fields are split on the delimiter; quoting is limited to stripping one pair of
surrounding double quotes (bank return files do not embed delimiters in fields).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledger.files.returns.amounts import bad_amounts, column_to_fen, why_bad
from ledger.files.returns.frame import build_frame, text_column
from ledger.files.returns.model import Anomaly, AnomalyKind, ReturnStatus
from ledger.files.returns.problems import Problems
from ledger.files.returns.profiles import Field, ReturnProfile
from ledger.files.returns.reasons import reason_code
from ledger.files.returns.text_source import UTF8_BOM, byte_lines, check_bom, decode


def parse(path: Path, profile: ReturnProfile) -> tuple[pd.DataFrame, list[Anomaly]]:
    data = path.read_bytes()
    problems = Problems(path)
    if profile.layout == "csv":
        text = decode(path, data, profile.encoding, profile.name)  # refuses bad encodings
        header, fields, lines = _csv_fields(path, text, data, profile, problems)
    else:
        check_bom(path, data, profile.encoding, profile.name)
        header, fields, lines = _fixed_fields(path, data, profile, problems)
    return _records(path, profile, header, fields, lines, problems)


# Columns read and checked for presence but never kept (personal data, free text).
_NOT_KEPT = frozenset({Field.ID_NUMBER, Field.MEMO})


def _tidy(column: pd.Series, *, spaces: bool, quotes: bool) -> pd.Series:
    """Strip blanks and one pair of surrounding quotes, only if the file has any at all."""
    if spaces:
        column = column.str.strip()
    if quotes:
        quoted = column.str.startswith('"') & column.str.endswith('"') & (column.str.len() >= 2)
        if bool(quoted.any()):
            column = column.where(~quoted, column.str.slice(1, -1))
    return column


def _delimiters_per_line(data: bytes, delimiter: str, lines: int) -> np.ndarray:
    """How many delimiters each of the first ``lines`` lines has, counted on the bytes.

    Safe for GB18030, GBK and UTF-8: no byte of a multi-byte character is ever 0x0A or
    an ASCII delimiter, so counting bytes counts characters.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.append(np.flatnonzero(raw == 10), len(raw))[:lines]
    delimiters = np.flatnonzero(raw == ord(delimiter))
    at_end = np.searchsorted(delimiters, ends)
    return np.diff(np.concatenate(([0], at_end)))


def _csv_fields(
    path: Path, text: str, data: bytes, profile: ReturnProfile, problems: Problems
) -> tuple[list[str], dict[Field, pd.Series], np.ndarray]:
    text = text.replace("\r\n", "\n").rstrip()
    lines = text.split("\n", 2) if text else []
    total_lines = text.count("\n") + 1 if text else 0
    if not lines:
        problems.add(None, "the file is empty: no totals line")
        problems.raise_if_any()
    delimiter = profile.delimiter
    header = [part.strip() for part in lines[0].split(delimiter)]
    first_data = 1
    positions: dict[Field, int] = {}
    if profile.column_names_row:
        titles = [t.strip().strip('"') for t in lines[1].split(delimiter)] if len(lines) > 1 else []
        first_data = 2
        missing = [c.title for c in profile.columns if c.title not in titles]
        if missing:
            problems.add(2, f"missing columns: {', '.join(missing)} (found: {', '.join(titles)})")
            problems.raise_if_any()
        positions = {c.meaning: titles.index(c.title) for c in profile.columns}
        width = len(titles)
    else:
        positions = {c.meaning: i for i, c in enumerate(profile.columns)}
        width = len(profile.columns)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    counts = _delimiters_per_line(data, delimiter, total_lines)[first_data:]
    line_numbers = np.arange(first_data + 1, total_lines + 1, dtype=np.int64)
    for index in np.flatnonzero(counts != width - 1):
        problems.add(
            int(line_numbers[index]),
            f"{counts[index] + 1} fields, the column names row has {width}",
        )
    problems.raise_if_any()
    kept = {m: i for m, i in positions.items() if m not in _NOT_KEPT}
    if len(line_numbers):
        start = 0
        for _ in range(first_data):
            start = text.index("\n", start) + 1
        table = pd.read_csv(
            io.StringIO(text[start:]),
            sep=delimiter,
            header=None,
            usecols=sorted(kept.values()),
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=False,
            engine="c",
        )
        # Blanks next to a delimiter or at a line end, and quotes, are rare in bank
        # files: tidy the columns only when the text has any (a C-speed search).
        spaces = (
            re.search(
                rf"[ \t\u3000]{re.escape(delimiter)}|{re.escape(delimiter)}[ \t\u3000]"
                r"|[ \t\u3000]$|^[ \t\u3000]",
                text,
                re.MULTILINE,
            )
            is not None
        )
        quotes = '"' in text
        fields = {
            m: _tidy(table[i].astype(str), spaces=spaces, quotes=quotes) for m, i in kept.items()
        }
    else:
        fields = {m: pd.Series([], dtype=str) for m in kept}
    return header, fields, line_numbers


def _fixed_fields(
    path: Path, data: bytes, profile: ReturnProfile, problems: Problems
) -> tuple[list[str], dict[Field, pd.Series], np.ndarray]:
    lines = byte_lines(data)
    if not lines:
        problems.add(None, "the file is empty: no totals line")
        problems.raise_if_any()
    count_width, amount_width = profile.header_widths
    head = lines[0]
    if len(head) != count_width + amount_width:
        problems.add(
            1,
            f"totals line is {len(head)} bytes, profile {profile.name} says "
            f"{count_width + amount_width} (count {count_width} + amount "
            f"{amount_width}): wrong field widths",
        )
    header = [
        head[:count_width].decode(profile.encoding, "replace").strip(),
        head[count_width:].decode(profile.encoding, "replace").strip(),
    ]
    record = profile.record_width
    body = lines[1:]
    for index, line in enumerate(body):
        if len(line) != record:
            problems.add(
                index + 2,
                f"{len(line)} bytes, profile {profile.name} records are "
                f"{record} bytes: wrong field widths",
            )
    problems.raise_if_any()
    dtype = np.dtype([(f"f{i}", f"S{c.width}") for i, c in enumerate(profile.columns)])
    table = np.frombuffer(b"".join(body), dtype=dtype) if body else np.zeros(0, dtype=dtype)
    line_numbers = np.arange(2, 2 + len(body), dtype=np.int64)
    fields: dict[Field, pd.Series] = {}
    offset = 0
    for i, column in enumerate(profile.columns):
        raw = pd.Series(table[f"f{i}"], dtype=object)
        try:
            decoded = raw.str.decode(profile.encoding)
        except UnicodeDecodeError:
            for index, value in enumerate(raw):
                try:
                    value.decode(profile.encoding)
                except UnicodeDecodeError:
                    problems.add(
                        int(line_numbers[index]),
                        f"field {column.title} (bytes {offset + 1}-{offset + (column.width or 0)}) "
                        f"is not valid {profile.encoding}: a character split by wrong field "
                        "widths, or bad encoding",
                    )
            decoded = raw.map(lambda b: b.decode(profile.encoding, "replace"))
        fields[column.meaning] = decoded.astype(str).str.strip()
        offset += column.width or 0
    return header, fields, line_numbers


def _records(
    path: Path,
    profile: ReturnProfile,
    header: list[str],
    fields: dict[Field, pd.Series],
    line_numbers: np.ndarray,
    problems: Problems,
) -> tuple[pd.DataFrame, list[Anomaly]]:
    stated_count, stated_total = _header(profile, header, problems)
    amounts = fields[Field.AMOUNT]
    for index in bad_amounts(amounts, profile.amount_unit):
        problems.add(int(line_numbers[index]), why_bad(amounts.iloc[index], profile.amount_unit))
    statuses = fields[Field.STATUS].map(dict(profile.status_texts))
    known = ", ".join(profile.status_texts)
    for index in np.flatnonzero(statuses.isna().to_numpy()):
        text = fields[Field.STATUS].iloc[index]
        problems.add(int(line_numbers[index]), f"unknown status text {text!r} (known: {known})")
    sequence = fields.get(Field.SEQUENCE)
    if sequence is not None:
        bad = ~(sequence.str.fullmatch(r"\d{1,18}") | (sequence == "")).to_numpy(dtype=bool)
        for index in np.flatnonzero(bad):
            problems.add(int(line_numbers[index]), f"序号 {sequence.iloc[index]!r} is not a number")
    problems.raise_if_any()
    amount_fen = column_to_fen(amounts, profile.amount_unit)
    status_values = fields[Field.STATUS].map({t: s.value for t, s in profile.status_texts.items()})
    reasons = fields.get(Field.REASON_TEXT, pd.Series([""] * len(amounts), dtype=str))
    failed = (status_values == ReturnStatus.FAILED.value).to_numpy()
    unique = {text: reason_code(text) for text in pd.unique(reasons[failed])}
    codes = reasons.map(unique).where(failed, None)
    columns: dict[str, Any] = {
        "line": line_numbers,
        "sequence": None
        if sequence is None
        else pd.to_numeric(sequence.replace("", None)).astype("Int64"),
        "end_to_end_id": fields.get(Field.END_TO_END_ID) if profile.echoes_end_to_end_id else None,
        "account": fields.get(Field.ACCOUNT),
        "holder_name": fields.get(Field.HOLDER_NAME),
        "amount_fen": amount_fen,
        "status": status_values,
        "reason_code": text_column(codes),
        "reason_text": reasons,
    }
    frame = build_frame(path.name, columns, len(amount_fen))
    anomalies = []
    if stated_count is not None and stated_count != len(frame):
        anomalies.append(
            Anomaly(
                path.name,
                1,
                AnomalyKind.CONTROL_COUNT,
                f"the totals line says {stated_count} lines, the file has {len(frame)}",
            )
        )
    total = int(amount_fen.sum())
    if stated_total is not None and stated_total != total:
        anomalies.append(
            Anomaly(
                path.name,
                1,
                AnomalyKind.CONTROL_SUM,
                f"the totals line says {stated_total} fen, the lines sum to "
                f"{total} fen ({total - stated_total:+d})",
            )
        )
    return frame, anomalies


def _header(
    profile: ReturnProfile, header: list[str], problems: Problems
) -> tuple[int | None, int | None]:
    if len(header) != 2:
        problems.add(
            1, f"the totals line has {len(header)} fields, expected 2 (total count, total amount)"
        )
        return None, None
    count_text, amount_text = header
    count = int(count_text) if count_text.isdigit() else None
    if count is None:
        problems.add(1, f"total count {count_text!r} is not a number")
    series = pd.Series([amount_text], dtype=str)
    if len(bad_amounts(series, profile.amount_unit)):
        problems.add(1, "total " + why_bad(amount_text, profile.amount_unit))
        return count, None
    return count, int(column_to_fen(series, profile.amount_unit)[0])
