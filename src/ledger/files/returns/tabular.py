"""CSV and fixed-width bank returns, read by a ``ReturnProfile``, column-wise with pandas.

Amounts are read as text and converted exactly (``amounts.column_to_fen``), never via
float. Anything malformed refuses the whole file, listing every problem with its line.
CSV fields are split on the delimiter; quoting is limited to stripping one pair of
surrounding double quotes (bank return files do not embed delimiters in fields).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ledger.files.returns.amounts import bad_amounts, column_to_fen, why_bad
from ledger.files.returns.frame import build_frame, text_column
from ledger.files.returns.model import Anomaly, AnomalyKind, ReturnStatus
from ledger.files.returns.problems import Problems
from ledger.files.returns.profiles import Field, ReturnProfile
from ledger.files.returns.reasons import reason_code
from ledger.files.returns.text_source import (
    UTF8_BOM,
    byte_lines,
    check_bom,
    not_text,
    to_utf8,
)


def parse(path: Path, profile: ReturnProfile) -> tuple[pd.DataFrame, list[Anomaly]]:
    data = path.read_bytes()
    problems = Problems(path)
    problem = not_text(data[:_PIECE]) if "16" not in profile.encoding else None
    if problem is not None:
        problems.add(1, problem)
        problems.raise_if_any()
    if profile.layout == "csv":
        utf8 = to_utf8(path, data, profile.encoding, profile.name)  # refuses bad encodings
        # Only the first lines as text, the rest as UTF-8 bytes.
        cut = -1
        for _ in range(3):
            cut = utf8.find(b"\n", cut + 1)
            if cut < 0:
                break
        head = (utf8 if cut < 0 else utf8[:cut]).decode("utf-8")
        header, fields, lines = _csv_fields(path, head.rstrip(), utf8, data, profile, problems)
    else:
        check_bom(path, data, profile.encoding, profile.name)
        header, fields, lines = _fixed_fields(path, data, profile, problems)
    return _records(path, profile, header, fields, lines, problems)


def _blank_edges(data: bytes, delimiter: bytes, encoding: str) -> bool:
    """Whether any field may carry blanks to strip: a space or tab next to a delimiter
    or a line end (vectorised on the bytes, a piece at a time), or any full-width space
    (conservative)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    edges = np.array([delimiter[0], 0x0A, 0x0D], dtype=np.uint8)
    for start in range(0, len(raw), _PIECE):
        piece = raw[start : start + _PIECE]
        at = start + np.flatnonzero((piece == 0x20) | (piece == 0x09))
        if not len(at):
            continue
        if at[0] == 0 or at[-1] == len(raw) - 1:
            return True
        if bool((np.isin(raw[at - 1], edges) | np.isin(raw[at + 1], edges)).any()):
            return True
    wide = "\u3000".encode(encoding, "ignore")
    return bool(wide) and wide in data


# Bytes scanned at once by the vectorised checks (their temporary arrays stay small).
_PIECE = 1 << 23


# Columns read and checked for presence but never kept (personal data, free text).
_NOT_KEPT = frozenset({Field.ID_NUMBER, Field.MEMO, Field.OTHER})


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
    """How many delimiters each of the first ``lines`` lines has, counted on the bytes,
    a line-aligned piece at a time.

    Safe for GB18030, GBK and UTF-8: no byte of a multi-byte character is ever 0x0A or
    an ASCII delimiter, so counting bytes counts characters.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    counts: list[np.ndarray] = []
    found = 0
    start = 0
    while found < lines:
        end = data.find(b"\n", min(start + _PIECE, len(raw)))
        end = len(raw) if end < 0 else end + 1
        piece = raw[start:end]
        ends = np.flatnonzero(piece == 10)
        if end == len(raw):  # the end of the file ends a last line, too
            ends = np.append(ends, len(piece))
        delimiters = np.flatnonzero(piece == ord(delimiter))
        at_end = np.searchsorted(delimiters, ends)
        counts.append(np.diff(np.concatenate(([0], at_end))))
        found += len(ends)
        start = end
        if end == len(raw):
            break
    return np.concatenate(counts)[:lines] if counts else np.zeros(0, dtype=np.int64)


def _csv_fields(
    path: Path, head: str, utf8: bytes, data: bytes, profile: ReturnProfile, problems: Problems
) -> tuple[list[str] | None, dict[Field, pd.Series], np.ndarray]:
    """``head``: the first lines as text; ``utf8``: the whole file, validated, as UTF-8;
    ``data``: the file's own bytes."""
    lines = head.split("\n", 3) if head else []  # CRLF or LF: the CR is stripped below
    end = len(utf8)  # without trailing blank lines (no copy of 10^6 lines to strip them)
    while end and utf8[end - 1] in b" \t\r\n\x0b\x0c":
        end -= 1
    total_lines = utf8.count(b"\n", 0, end) + 1 if end else 0
    if not lines:
        problems.add(None, "the file is empty: no header line and no column names")
        problems.raise_if_any()
    delimiter = profile.delimiter
    first = [part.strip().strip('"') for part in lines[0].rstrip("\r").split(delimiter)]
    # The bank may echo the export's header line (总笔数,N,总金额(元),X) first.
    header: list[str] | None = None
    first_data = 0
    if profile.header and first and first[0] == profile.header[0].title:
        header = first
        first_data = 1
    positions: dict[Field, int] = {}
    if profile.column_names_row:
        row = first_data + 1
        titles = (
            [t.strip().strip('"') for t in lines[first_data].rstrip("\r").split(delimiter)]
            if len(lines) > first_data
            else []
        )
        first_data += 1
        missing = [c.title for c in profile.columns if c.title not in titles]
        if missing:
            problems.add(row, f"missing columns: {', '.join(missing)} (found: {', '.join(titles)})")
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
            start = utf8.index(b"\n", start) + 1
        # pyarrow's multi-threaded reader on the validated text as UTF-8 (a zero-copy
        # slice): 4-6x faster than pandas' C reader for 10^6 lines. No quoting.
        # Up to and including the last line's newline (pyarrow needs one after a last
        # line that ends with an empty field).
        newline = utf8.find(b"\n", end)
        body = (
            pa.py_buffer(utf8).slice(start, newline + 1 - start)
            if newline >= 0
            else pa.py_buffer(utf8[start:end] + b"\n")
        )
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False, double_quote=False, escape_char=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in kept.values()},
                include_columns=[f"f{i}" for i in sorted(kept.values())],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        # Blanks next to a delimiter or at a line end, and quotes, are rare in bank
        # files: tidy the columns only when the file has any. Searched on the bytes (a
        # C-speed scan): a blank or delimiter byte is never part of a GB18030, GBK or
        # UTF-8 multi-byte character; a false hit only costs a tidy-up.
        spaces = _blank_edges(data, delimiter.encode(profile.encoding), profile.encoding)
        quotes = b'"' in data
        fields = {
            m: _tidy(table.column(f"f{i}").to_pandas().astype(str), spaces=spaces, quotes=quotes)
            for m, i in kept.items()
        }
    else:
        fields = {m: pd.Series([], dtype=str) for m in kept}
    return header, fields, line_numbers


def _fixed_fields(
    path: Path, data: bytes, profile: ReturnProfile, problems: Problems
) -> tuple[list[str] | None, dict[Field, pd.Series], np.ndarray]:
    lines = byte_lines(data)
    if not lines:
        problems.add(None, "the file is empty: no records")
        problems.raise_if_any()
    record = profile.record_width
    # The bank may echo the export's header record (e.g. H + 总笔数 + 总金额(分) ...) first.
    header: list[str] | None = None
    skip = 0
    header_width = profile.header_width
    if profile.header and len(lines[0]) == header_width and header_width != record:
        header = []
        offset = 0
        for column in profile.header:
            chunk = lines[0][offset : offset + (column.width or 0)]
            header.append(chunk.decode(profile.encoding, "replace").strip())
            offset += column.width or 0
        skip = 1
    body = lines[skip:]
    for index, line in enumerate(body):
        if len(line) != record:
            problems.add(
                index + 1 + skip,
                f"{len(line)} bytes, profile {profile.name} records are "
                f"{record} bytes"
                + (f" (its header record {header_width})" if index + skip == 0 else "")
                + ": wrong field widths",
            )
    problems.raise_if_any()
    dtype = np.dtype([(f"f{i}", f"S{c.width}") for i, c in enumerate(profile.columns)])
    table = np.frombuffer(b"".join(body), dtype=dtype) if body else np.zeros(0, dtype=dtype)
    line_numbers = np.arange(1 + skip, 1 + skip + len(body), dtype=np.int64)
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
        values = decoded.astype(str).str.strip()
        if column.literal is not None:
            for index in np.flatnonzero((values != column.literal).to_numpy(dtype=bool))[:50]:
                problems.add(
                    int(line_numbers[index]),
                    f"field {column.title} is {values.iloc[index]!r}, every record has "
                    f"{column.literal!r}: wrong record type or field widths",
                )
        if column.meaning not in _NOT_KEPT:
            fields[column.meaning] = values
        offset += column.width or 0
    return header, fields, line_numbers


def _records(
    path: Path,
    profile: ReturnProfile,
    header: list[str] | None,
    fields: dict[Field, pd.Series],
    line_numbers: np.ndarray,
    problems: Problems,
) -> tuple[pd.DataFrame, list[Anomaly]]:
    stated_count, stated_total = _header(profile, header, problems)
    amounts = fields[Field.AMOUNT]
    for index in bad_amounts(amounts, profile.amount_unit):
        problems.add(int(line_numbers[index]), why_bad(amounts.iloc[index], profile.amount_unit))
    # One pass over 10^6 status texts: the values, <NA> for an unknown text.
    status_values = fields[Field.STATUS].map({t: s.value for t, s in profile.status_texts.items()})
    known = ", ".join(profile.status_texts)
    for index in np.flatnonzero(status_values.isna().to_numpy()):
        text = fields[Field.STATUS].iloc[index]
        problems.add(int(line_numbers[index]), f"unknown status text {text!r} (known: {known})")
    sequence = fields.get(Field.SEQUENCE)
    if sequence is not None:
        bad = ~(sequence.str.fullmatch(r"[0-9]{1,18}") | (sequence == "")).to_numpy(dtype=bool)
        for index in np.flatnonzero(bad):
            problems.add(int(line_numbers[index]), f"序号 {sequence.iloc[index]!r} is not a number")
    problems.raise_if_any()
    amount_fen = column_to_fen(amounts, profile.amount_unit)
    reasons = fields.get(Field.REASON_TEXT, pd.Series([""] * len(amounts), dtype=str))
    failed = (status_values == ReturnStatus.FAILED.value).to_numpy()
    failed_reasons = reasons[failed]  # only failures have a code: map only those
    unique = {text: reason_code(text) for text in pd.unique(failed_reasons)}
    codes = pd.Series(np.full(len(reasons), None, dtype=object), index=reasons.index)
    codes[failed] = failed_reasons.map(unique).to_numpy(dtype=object)
    columns: dict[str, Any] = {
        "line": line_numbers,
        "sequence": None if sequence is None else _sequence(sequence),
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
                f"the header line says {stated_count} lines, the file has {len(frame)}",
            )
        )
    total = int(amount_fen.sum())
    if stated_total is not None and stated_total != total:
        anomalies.append(
            Anomaly(
                path.name,
                1,
                AnomalyKind.CONTROL_SUM,
                f"the header line says {stated_total} fen, the lines sum to "
                f"{total} fen ({total - stated_total:+d})",
            )
        )
    return frame, anomalies


def _sequence(text: pd.Series) -> pd.Series:
    """Validated 序号 text to nullable integers (blank: <NA>)."""
    blank = (text == "").to_numpy(dtype=bool)
    if not blank.any():
        return pd.Series(text.to_numpy(dtype=object).astype(np.int64), dtype="Int64")
    return pd.to_numeric(text.replace("", None)).astype("Int64")


def _header(
    profile: ReturnProfile, header: list[str] | None, problems: Problems
) -> tuple[int | None, int | None]:
    """The control totals of the echoed header line (None when the bank did not echo it)."""
    if header is None:
        return None, None
    if profile.layout == "csv":
        # title,value,title,value...
        values = dict(zip(header[0::2], header[1::2], strict=False))
        if len(header) != 2 * len(profile.header):
            problems.add(
                1,
                f"the header line has {len(header)} fields, profile {profile.name} writes "
                f"{2 * len(profile.header)} (title, value pairs)",
            )
            return None, None
    else:
        values = {c.title: v for c, v in zip(profile.header, header, strict=True)}
    count: int | None = None
    total: int | None = None
    for column in profile.header:
        text = values.get(column.title)
        if text is None:
            problems.add(1, f"the header line has no {column.title}")
            continue
        if column.meaning is Field.COUNT:
            if text.isdigit():
                count = int(text)
            else:
                problems.add(1, f"{column.title} {text!r} is not a number")
        elif column.meaning is Field.TOTAL:
            unit = column.unit or "yuan"
            series = pd.Series([text], dtype=str)
            if len(bad_amounts(series, unit)):
                problems.add(1, f"{column.title}: " + why_bad(text, unit))
            else:
                total = int(column_to_fen(series, unit)[0])
    return count, total
