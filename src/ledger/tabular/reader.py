"""Reading a CSV or XLSX table in chunks of text cells (``open_table``)."""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ledger.columns import ROW, Column
from ledger.errors import ValidationError
from ledger.tabular.model import DEFAULT_CHUNK_ROWS
from ledger.tabular.values import stripped
from ledger.textfile import check_encoding, detect_encoding, field_count_problems, read_header


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
                        stripped(frame[self.positions[key]].fillna("").astype(str))
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
