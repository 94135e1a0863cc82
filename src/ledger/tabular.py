"""Reading the spreadsheets counties send: CSV (UTF-8 or GB18030/GBK) and XLSX.

A file is read as text only (every cell a ``str``, never a number: ID and card numbers
must keep every digit) in chunks of rows, so memory stays bounded however long the file
is. Headers are matched to known columns by their Chinese header or English alias,
case-insensitively. Every problem names the file, the row as the user counts it (the
header is row 1) and the column as written in the file.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledger.errors import ValidationError
from ledger.identity import ascii_digits, birth_dates, id_check_ok
from ledger.textfile import check_encoding, detect_encoding, field_count_problems, read_header

DEFAULT_CHUNK_ROWS = 50_000
ROW = "_row"  # the column holding each row's number (header = row 1)

_MONTH = r"(\d{4})[-/.]?(\d{1,2})(?:[-/.]\d{1,2})?"
_DAY = r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})(\d{2})(\d{2})"


@dataclass(frozen=True)
class Column:
    """A column a file may have: its key inside the program, Chinese header, English alias."""

    key: str
    zh: str
    required: bool = True
    also: tuple[str, ...] = ()  # further headers seen in the wild (full-width brackets...)

    @property
    def label(self) -> str:
        return f"{self.zh}/{self.key}"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem with an input file. ``row`` None: the whole file or its header."""

    row: int
    column: str
    message: str
    severity: str = "error"
    file: str = field(default="", compare=False)

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class Problems:
    """Collects every problem found; keeps the first ``limit`` of each severity in full,
    and every warning as a compact (row, column, message) in ``all_warnings`` (a roster
    import stores them all: ``roster_import_warnings``)."""

    def __init__(self, file: str, limit: int = 1000) -> None:
        self.file = file
        self.limit = limit
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.error_count = 0
        self.warning_count = 0
        self.all_warnings: list[tuple[int, str, str]] = []

    def add(self, row: int, column: str, message: str, *, warning: bool = False) -> None:
        problem = Problem(row, column, message, "warning" if warning else "error", self.file)
        if warning:
            self.warning_count += 1
            self.all_warnings.append((row, column, message))
            if len(self.warnings) < self.limit:
                self.warnings.append(problem)
        else:
            self.error_count += 1
            if len(self.errors) < self.limit:
                self.errors.append(problem)

    def add_rows(
        self, rows: Sequence[int], column: str, message: str, *, warning: bool = False
    ) -> None:
        """The same problem on many rows (rows from a vectorised check)."""
        for row in rows:
            self.add(int(row), column, message, warning=warning)

    def absorb(self, other: "Problems") -> None:
        """Add the problems ``other`` found (a later part of the same file)."""
        for problem in other.errors[: max(0, self.limit - len(self.errors))]:
            self.errors.append(problem)
        for problem in other.warnings[: max(0, self.limit - len(self.warnings))]:
            self.warnings.append(problem)
        self.error_count += other.error_count
        self.warning_count += other.warning_count
        self.all_warnings.extend(other.all_warnings)

    def raise_if_errors(self, what: str) -> None:
        if not self.error_count:
            return
        listed = grouped_lines(self.errors, self.file)
        more = self.error_count - len(self.errors)
        if more > 0:
            listed.append(f"... and {more} more error(s)")
        if self.warning_count:
            # Shown with the errors, so that one pass over the file fixes both.
            listed.append(f"and {self.warning_count} warning(s), to check as well:")
            listed += [f"warning: {line}" for line in self.grouped_warning_lines()]
        raise ValidationError(
            f"{self.file}: {self.error_count} error(s): {what} refused, nothing was changed:",
            listed,
        )

    def grouped_warning_lines(self) -> list[str]:
        """The warnings kept in full, the same message in a column on many rows as one
        line (``grouped_lines``), and how many more there are."""
        listed = grouped_lines(self.warnings, self.file)
        more = self.warning_count - len(self.warnings)
        if more > 0:
            listed.append(f"... and {more} more warning(s)")
        return listed

    def warning_lines(self) -> list[str]:
        listed = [str(p) for p in sorted(self.warnings)]
        more = self.warning_count - len(listed)
        if more > 0:
            listed.append(f"... and {more} more warning(s)")
        return listed


GROUP_FROM = 5  # the same problem on this many rows or more is one line
ROWS_SHOWN = 10


def grouped_lines(problems: Sequence[Problem], file: str) -> list[str]:
    """One line per problem, except that the same message in the same column on many
    rows (a sheet whose ID column Excel stored as numbers: 1,002 rows) is one line that
    counts the rows and names the first of them."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        groups.setdefault((problem.column, problem.message), []).append(problem)
    out: list[tuple[Problem, str]] = []
    for (column, message), members in groups.items():
        if len(members) < GROUP_FROM:
            out += [(p, str(p)) for p in members]
            continue
        members = sorted(members)
        rows = ", ".join(str(p.row) for p in members[:ROWS_SHOWN])
        more = f", ... ({len(members):,} rows)" if len(members) > ROWS_SHOWN else ""
        where = ", ".join(x for x in (file, f"column {column}" if column else "") if x)
        out.append((members[0], f"{where}: rows {rows}{more}: {message}"))
    return [text for _, text in sorted(out, key=lambda item: item[0])]


@dataclass
class Table:
    """An opened input file: its header mapping and a way to read its rows in chunks."""

    path: Path
    kind: str  # "csv" or "xlsx"
    encoding: str | None
    header: list[str]
    # column key -> position in the file's rows, and the header text as written
    positions: dict[str, int]
    labels: dict[str, str]

    def chunks(self, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """Frames of str cells, one column per known key (missing optional columns as
        ""), plus ``_row``; rows whose cells are all empty are dropped."""
        raw = self._csv_chunks(chunk_rows) if self.kind == "csv" else self._xlsx_chunks(chunk_rows)
        for frame in raw:
            out = pd.DataFrame(
                {
                    key: (
                        _stripped(frame[self.positions[key]].fillna("").astype(str))
                        if key in self.positions
                        else pd.Series([""] * len(frame), dtype=str, index=frame.index)
                    )
                    for key in self.labels
                }
            )
            out[ROW] = frame[ROW].to_numpy()
            if len(out.columns) > 1:
                filled = (out.drop(columns=[ROW]) != "").any(axis=1)
                out = out[filled]
            if len(out):
                yield out.reset_index(drop=True)

    def _csv_chunks(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """Arrow's CSV reader (C++, no Python object per cell) for a regular file: every
        row with as many fields as the header. Anything else is looked at row by row:
        rows with more or fewer fields than the header refuse the file, each named; a
        file whose rows are all right (blank lines, a cell larger than Arrow's block)
        goes to pandas' reader, which says what else is wrong (broken quoting).
        """

        if not self._regular_csv():
            self._refuse_misshapen_rows()
            yield from self._pandas_csv_chunks(chunk_rows)
            return
        usecols = sorted(set(self.positions.values()))
        start = 2
        for rows in _rebatched(self._arrow_csv(usecols), chunk_rows):
            frame = rows.to_pandas()
            frame.columns = pd.Index(usecols)
            frame[ROW] = range(start, start + len(frame))
            start += len(frame)
            yield frame

    def _arrow_csv(self, include: list[int]) -> Any:
        """A streaming Arrow CSV reader of the columns ``include`` as text; a row with
        another number of fields than the header raises ``ArrowInvalid``."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [f"c{i}" for i in range(len(self.header))]
        encoding = self.encoding or "utf8"
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig"):
            encoding = "utf8"  # the header row, with any BOM, is skipped
        return pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(
                skip_rows=1,
                column_names=names,
                encoding=encoding,
                block_size=1 << 20,
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=lambda _row: "error",
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=[names[i] for i in include],
                column_types={names[i]: pa.string() for i in include},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    def _regular_csv(self) -> bool:
        """Whether Arrow parses every row with as many fields as the header."""
        import pyarrow as pa

        try:
            for _batch in self._arrow_csv(include=[0]):
                pass
        except pa.ArrowInvalid:
            return False
        return True

    def _refuse_misshapen_rows(self) -> None:
        problems, count = field_count_problems(self.path, self.encoding, len(self.header))
        if count:
            if count > len(problems):
                problems.append(f"... and {count - len(problems)} more row(s)")
            raise ValidationError(
                f"{self.path}: {count} row(s) that do not fit the header's "
                f"{len(self.header)} fields: refused, nothing was changed:",
                problems,
            )

    def _pandas_csv_chunks(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        usecols = sorted(set(self.positions.values()))
        try:
            reader = pd.read_csv(
                self.path,
                encoding=self.encoding,
                header=None,
                skiprows=1,
                names=list(range(len(self.header))),
                usecols=usecols,
                dtype=str,
                na_filter=False,
                keep_default_na=False,
                skip_blank_lines=False,
                chunksize=chunk_rows,
            )
            start = 2
            for frame in reader:
                frame[ROW] = range(start, start + len(frame))
                start += len(frame)
                yield frame
        except pd.errors.ParserError as error:
            raise ValidationError(f"{self.path}: not a well-formed CSV file: {error}") from None

    def _xlsx_chunks(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        import openpyxl

        book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            width = len(self.header)
            # A read-only sheet pads every row to its widest one, the header too.
            named = max((i + 1 for i, h in enumerate(self.header) if h), default=0)
            batch: list[list[str]] = []
            rows: list[int] = []
            beyond: list[str] = []  # rows with values right of the header's last column
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number == 1:
                    continue
                if any(_cell_text(v).strip() for v in values[named:]):
                    beyond.append(
                        f"{self.path}, row {number}: a value right of the header's last "
                        f"column ({named} columns): a shifted row?"
                    )
                cells = [_cell_text(v) for v in values[:width]]
                cells += [""] * (width - len(cells))
                batch.append(cells)
                rows.append(number)
                if len(batch) >= chunk_rows:
                    yield _frame(batch, rows)
                    batch, rows = [], []
            if batch:
                yield _frame(batch, rows)
            if beyond:
                # After the last chunk (a workbook is read once); the caller's unit of
                # work has written nothing that survives the refusal.
                raise ValidationError(
                    f"{self.path}: {len(beyond)} row(s) wider than the header: refused, "
                    "nothing was changed:",
                    beyond[:1000],
                )
        finally:
            book.close()


def _rebatched(batches: Iterable[Any], size: int) -> Iterator[Any]:
    """Arrow record batches regrouped as tables of ``size`` rows (the last may be short)."""
    import pyarrow as pa

    pending: list[Any] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        while count >= size:
            rows = pa.Table.from_batches(pending)
            yield rows.slice(0, size)
            rest = rows.slice(size)
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending)


def per_unique(values: pd.Series, transform: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``transform`` to the distinct values only and spread the results back.

    Most roster columns (months, amounts, codes, statuses) hold a few hundred distinct
    values in 10^6 rows; string work on those alone is what keeps validation fast.
    """
    codes, uniques = pd.factorize(values)
    result = transform(pd.Series(uniques, dtype=values.dtype)).to_numpy(dtype=object)
    return pd.Series(result[codes], index=values.index, dtype=object)


def _stripped(values: pd.Series) -> pd.Series:
    """Cells without surrounding blanks, computed per distinct value when that pays."""
    sample = values.iloc[:2000]
    if len(sample) and sample.nunique() * 4 < len(sample):
        return per_unique(values, lambda u: u.str.strip()).astype(str)
    return values.str.strip()


def _frame(batch: list[list[str]], rows: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(batch, dtype=str)
    frame[ROW] = rows
    return frame


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a user sees (no float noise, dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def open_table(
    path: str | Path, columns: Sequence[Column], *, encoding: str | None = None
) -> Table:
    """Open a CSV or XLSX file and match its header to ``columns``.

    Refuses (``ValidationError``, every problem listed) a file that cannot be read, a
    header missing a required column, or one naming a column twice.
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: no such file")
    kind = "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else "csv"
    if kind == "csv":
        if encoding is None:
            encoding = detect_encoding(path)
        else:
            check_encoding(path, encoding)
            if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
                encoding = "utf-8-sig"  # a BOM is never part of the first header
        header = read_header(path, encoding)
    else:
        header = _xlsx_header(path)
        encoding = None
    header = [h.strip().lstrip("\ufeff") for h in header]
    problems: list[str] = []
    by_alias: dict[str, Column] = {}
    for column in columns:
        by_alias[column.zh.lower()] = column
        by_alias[column.key.lower()] = column
        for other in column.also:
            by_alias[other.lower()] = column
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, text in enumerate(header):
        column_def = by_alias.get(text.lower())
        if column_def is None:
            continue
        if column_def.key in positions:
            problems.append(
                f"row 1: columns {labels[column_def.key]!r} and {text!r} are both "
                f"{column_def.label}"
            )
            continue
        positions[column_def.key] = index
        labels[column_def.key] = text
    for column in columns:
        if column.required and column.key not in positions:
            problems.append(f"row 1: required column {column.label} is missing")
    if not any(header):
        problems = [
            f"row 1: the file has no header row (expected {', '.join(c.zh for c in columns)})"
        ]
    if problems:
        raise ValidationError(f"{path}: the header is not usable, nothing was changed:", problems)
    for column in columns:
        labels.setdefault(column.key, column.zh)
    return Table(path, kind, encoding, header, positions, labels)


def _xlsx_header(path: Path) -> list[str]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(f"{path}: not a readable XLSX workbook ({error})") from None
    try:
        if not book.worksheets:
            return []
        for values in book.worksheets[0].iter_rows(values_only=True, max_row=1):
            return [_cell_text(v) for v in values]
        return []
    finally:
        book.close()


class Checker:
    """Vectorised checks of a chunk's columns: boolean masks become problems with row
    numbers and column labels; each check returns the normalised values (None where
    the value failed)."""

    def __init__(self, frame: pd.DataFrame, labels: dict[str, str], problems: Problems) -> None:
        self.frame = frame
        self.labels = labels
        self.problems = problems

    def flag(self, mask: pd.Series, key: str, message: str, *, warning: bool = False) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            rows = self.frame.loc[mask, ROW].tolist()
            self.problems.add_rows(rows, self.labels[key], message, warning=warning)

    def flag_index(self, index: pd.Index, key: str, message: str, *, warning: bool = False) -> None:
        if len(index):
            rows = self.frame.loc[index, ROW].tolist()
            self.problems.add_rows(rows, self.labels[key], message, warning=warning)

    def lookup(self, values: pd.Series, table: dict[str, str], key: str, message: str) -> pd.Series:
        folded = {k.lower(): v for k, v in table.items()}
        found = per_unique(values, lambda u: u.str.lower().map(folded))
        unknown = (values != "") & found.isna()
        if unknown.any():
            for value in values[unknown].unique()[:50]:
                rows = self.frame.loc[unknown & (values == value), ROW].tolist()
                self.problems.add_rows(rows, self.labels[key], f"{message} {value!r}")
        return found.where(found.notna(), None)

    def month(self, values: pd.Series, key: str) -> pd.Series:
        """ "YYYY-MM" (also YYYY/MM, YYYYMM, a spreadsheet date YYYY-MM-DD); None if not."""
        parsed = per_unique(values, _parse_months)
        self.flag((values != "") & parsed.isna(), key, "not a month (YYYY-MM)")
        return parsed

    def day(self, values: pd.Series, key: str) -> pd.Series:
        """ISO date text (also YYYY/MM/DD, YYYYMMDD); None if not a real date."""
        parsed = per_unique(values, _parse_days)
        self.flag((values != "") & parsed.isna(), key, "not a date (YYYY-MM-DD)")
        return parsed

    def id_numbers(
        self, values: pd.Series, key: str, province_prefix: str | None = None
    ) -> tuple[pd.Series, pd.Series]:
        """GB 11643 ID numbers: format, check character, real birth date (1900 to
        today); outside ``province_prefix``: a warning. Returns the valid IDs (upper-case
        X) and their birth dates (ISO), None elsewhere. Empty cells are not flagged."""
        ids = values.str.upper()
        present = ids != ""
        well_formed = pd.Series(ascii_digits(ids.tolist(), 18, last_x=True), index=ids.index)
        fifteen = pd.Series(ascii_digits(ids.tolist(), 15), index=ids.index)
        self.flag(
            present & fifteen,
            key,
            "a 15-digit ID number: write the 18-digit number (GB 11643) instead",
        )
        self.flag(
            present & ~well_formed & ~fifteen,
            key,
            "not an ID number: 18 characters, 17 digits then a digit or X "
            "(an ID stored as a spreadsheet number loses digits: store it as text)",
        )
        good = ids[well_formed]
        checksum = pd.Series(id_check_ok(good.tolist()), index=good.index, dtype=bool)
        self.flag_index(checksum.index[~checksum], key, "wrong check character (GB 11643)")
        births = pd.Series(birth_dates(good.tolist()), index=good.index)
        today = pd.Timestamp(date.today())
        impossible = births.isna() | (births > today) | (births < pd.Timestamp(1900, 1, 1))
        self.flag_index(births.index[impossible], key, "impossible birth date in the ID number")
        if province_prefix is not None:
            outside = good.str.slice(0, 2) != province_prefix
            self.flag_index(
                outside.index[outside],
                key,
                f"region code outside the province ({province_prefix}xxxx)",
                warning=True,
            )
        valid = pd.Series(False, index=values.index)
        valid[checksum.index[checksum]] = True
        valid[births.index[impossible]] = False
        birth_text = (
            pd.Series(
                np.datetime_as_string(births.to_numpy(), unit="D"), index=births.index, dtype=object
            )
            .where(births.notna(), None)
            .reindex(values.index)
        )
        return _or_none(ids.where(valid)), _or_none(birth_text.where(valid))


def _or_none(series: pd.Series) -> pd.Series:
    """An object column with None for missing values (what the database drivers want)."""
    as_object = series.astype(object)
    return as_object.where(series.notna(), None)


def _parse_months(values: pd.Series) -> pd.Series:
    parts = values.str.extract(rf"^{_MONTH}$")
    ok = parts[0].notna()
    month = parts[1].where(ok, "0").astype("int64")
    ok &= (month >= 1) & (month <= 12)
    text = parts[0] + "-" + parts[1].str.zfill(2)
    return text.astype(object).where(ok, None)


def _parse_days(values: pd.Series) -> pd.Series:
    parts = values.str.extract(rf"^(?:{_DAY})$")
    year = parts[0].fillna(parts[3])
    month = parts[1].fillna(parts[4])
    day = parts[2].fillna(parts[5])
    text = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), None)
