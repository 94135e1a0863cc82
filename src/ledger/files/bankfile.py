"""Writing bank files: the one entry point for every profile, streaming and hashed.

Rows arrive in chunks (``ledger.db.batch_rows_store.FILE_COLUMNS``) and leave as bytes, so
a file of 10^6 lines never sits in memory whole. The bytes depend only on recorded
values (instructions, the batch's recorded export time and pay date, the county's
accounts and codes): writing the same batch again gives the same bytes.

Characters a profile's encoding cannot hold are refused, not replaced: a name changed
to "?" may be rejected by the bank's name check (BE01) or, worse, paid to nobody we can
trace. The error names each line and recipient so the roster or the profile can be fixed
(GB18030 holds every Unicode character; GBK lacks e.g. 𠮷).
"""

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from ledger.errors import ValidationError
from ledger.files.profiles import Field, Profile
from ledger.money import format_yuan

MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class FileContext:
    """What a bank file says besides its lines; all of it recorded or configured."""

    batch_id: int
    county_code: str
    period: str
    program: str
    remittance: str
    count: int
    amount_fen_total: int
    debtor_account: str
    debtor_name: str
    debtor_bank_cnaps: str
    bank_cnaps: dict[str, str]
    exported_at: datetime
    pay_date: date

    @property
    def message_id(self) -> str:
        """Max35Text: county, period and batch number."""
        return f"{self.county_code}{self.period.replace('-', '')}B{self.batch_id:08d}"


@dataclass(frozen=True)
class Written:
    count: int
    amount_fen_total: int
    sha256: str
    byte_count: int


class HashingWriter:
    """Writes to a binary file while computing its SHA-256 and size."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.digest = hashlib.sha256()
        self.byte_count = 0

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self.digest.update(data)
        self.byte_count += len(data)


def write_bank_file(
    profile: Profile,
    context: FileContext,
    chunks: Iterable[list[tuple[Any, ...]]],
    out: BinaryIO,
) -> Written:
    """Write the batch's file in ``profile``'s format to ``out``; refuse it whole (a
    ``ValidationError`` listing every bad line) if a value does not fit."""
    sink = HashingWriter(out)
    if profile.format == "pain001":
        from ledger.files.pain001 import write_pain001

        count, total = write_pain001(context, chunks, sink)
    elif profile.format == "csv":
        count, total = _write_csv(profile, context, chunks, sink)
    elif profile.format == "fixed":
        count, total = _write_fixed(profile, context, chunks, sink)
    else:
        raise ValueError(f"unknown profile format {profile.format!r}")  # programmer error
    if (count, total) != (context.count, context.amount_fen_total):
        # The batch's recorded totals and its instructions disagree: our own bug.
        raise AssertionError(
            f"batch {context.batch_id}: wrote {count} lines / {total} fen, "
            f"the batch records {context.count} / {context.amount_fen_total}"
        )
    return Written(count, total, sink.digest.hexdigest(), sink.byte_count)


def header_value(source: str, context: FileContext) -> str:
    if source.startswith("literal:"):
        return source.removeprefix("literal:")
    values = {
        "count": str(context.count),
        "total_yuan": format_yuan(context.amount_fen_total),
        "total_fen": str(context.amount_fen_total),
        "batch_id": str(context.batch_id),
        "period": context.period.replace("-", ""),
        "pay_date": context.pay_date.strftime("%Y%m%d"),
        "debtor_account": context.debtor_account,
    }
    return values[source]


def _detail_getter(source: str, context: FileContext) -> Any:
    """A function row -> text for a detail source (rows are FILE_COLUMNS tuples)."""
    if source.startswith("literal:"):
        literal = source.removeprefix("literal:")
        return lambda row: literal
    getters = {
        "line_number": lambda row: str(row[0]),
        "account_holder": lambda row: row[2],
        "id_number": lambda row: row[3],
        "account_number": lambda row: row[4],
        "amount_yuan": lambda row: format_yuan(int(row[5])),
        "amount_fen": lambda row: str(int(row[5])),
        "remittance": lambda row: context.remittance,
        "end_to_end_id": lambda row: row[6],
        "bank_cnaps": lambda row: context.bank_cnaps.get(row[7], ""),
    }
    return getters[source]


class _Problems:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.items: list[str] = []

    def add(self, row: tuple[Any, ...], field: Field, message: str) -> None:
        self.items.append(f"line {row[0]} (recipient {row[1]}): {field.title}: {message}")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_PROBLEMS_SHOWN]
        if len(self.items) > MAX_PROBLEMS_SHOWN:
            shown.append(f"... and {len(self.items) - MAX_PROBLEMS_SHOWN} more")
        raise ValidationError(
            f"the bank file cannot be written with profile {self.profile.name} "
            f"({self.profile.encoding}): {len(self.items)} problem(s); nothing was exported",
            shown,
        )


def _unencodable(text: str, encoding: str) -> str:
    bad = []
    for ch in text:
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            bad.append(f"{ch!r} (U+{ord(ch):04X})")
    return ", ".join(bad)


def _encode_field(
    text: str, field: Field, profile: Profile, row: tuple[Any, ...], problems: _Problems
) -> bytes | None:
    try:
        return text.encode(profile.encoding)
    except UnicodeEncodeError:
        problems.add(
            row,
            field,
            f"{text!r} has characters {profile.encoding.upper()} cannot encode: "
            f"{_unencodable(text, profile.encoding)}; use a GB18030 profile "
            "(e.g. csv_gb18030) for this bank, or correct the name in the roster",
        )
        return None


def _write_csv(
    profile: Profile,
    context: FileContext,
    chunks: Iterable[list[tuple[Any, ...]]],
    sink: HashingWriter,
) -> tuple[int, int]:
    def render(lines: list[list[str]]) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=profile.delimiter, lineterminator=profile.line_ending)
        writer.writerows(lines)
        return buffer.getvalue()

    head: list[list[str]] = []
    if profile.header:
        line: list[str] = []
        for field in profile.header:
            line += [field.title, header_value(field.source, context)]
        head.append(line)
    if profile.column_titles:
        head.append([f.title for f in profile.columns])
    sink.write(render(head).encode(profile.encoding))

    getters = [_detail_getter(f.source, context) for f in profile.columns]
    problems = _Problems(profile)
    count = total = 0
    for chunk in chunks:
        lines = [[get(row) for get in getters] for row in chunk]
        count += len(chunk)
        total += sum(int(row[5]) for row in chunk)
        text = render(lines)
        try:
            data = text.encode(profile.encoding)
        except UnicodeEncodeError:
            # Find every culprit, line by line (only on the slow, failing path).
            for row, values in zip(chunk, lines, strict=True):
                for field, value in zip(profile.columns, values, strict=True):
                    _encode_field(value, field, profile, row, problems)
            continue
        if not problems.items:
            sink.write(data)
    problems.raise_if_any()
    return count, total


def _fit(data: bytes, field: Field, fill: bytes) -> bytes | None:
    """Pad ``data`` to the field's width in bytes; None if it does not fit."""
    if len(data) > field.width:
        return None
    padding = fill * (field.width - len(data))
    return padding + data if field.align == "right" else data + padding


def _write_fixed(
    profile: Profile,
    context: FileContext,
    chunks: Iterable[list[tuple[Any, ...]]],
    sink: HashingWriter,
) -> tuple[int, int]:
    ending = profile.line_ending.encode("ascii")
    problems = _Problems(profile)
    if profile.header:
        parts = []
        for field in profile.header:
            data = header_value(field.source, context).encode(profile.encoding)
            fitted = _fit(data, field, field.fill.encode(profile.encoding))
            if fitted is None:
                raise ValidationError(
                    f"profile {profile.name}: header field {field.title} "
                    f"({len(data)} bytes) does not fit its width {field.width}"
                )
            parts.append(fitted)
        sink.write(b"".join(parts) + ending)

    fields = [
        (f, _detail_getter(f.source, context), f.fill.encode(profile.encoding))
        for f in profile.columns
    ]
    encoding = profile.encoding
    count = total = 0
    for chunk in chunks:
        out: list[bytes] = []
        for row in chunk:
            parts = []
            for field, get, fill in fields:
                text = get(row)
                encoded = _encode_field(text, field, profile, row, problems)
                if encoded is None:
                    continue
                fitted = _fit(encoded, field, fill)
                if fitted is None:
                    problems.add(
                        row,
                        field,
                        f"{text!r} is {len(encoded)} bytes in {encoding.upper()}, "
                        f"the field holds {field.width}",
                    )
                    continue
                parts.append(fitted)
            parts.append(ending)
            out.append(b"".join(parts))
        count += len(chunk)
        total += sum(int(row[5]) for row in chunk)
        if not problems.items:
            sink.write(b"".join(out))
    problems.raise_if_any()
    return count, total
