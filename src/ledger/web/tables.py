"""The tables of the console's pages, and their CSV/XLSX downloads.

Every table a page shows is a ``Table``; the page and its download come from the same
rows, so a download holds exactly what the page showed (masked the same way). Money is
int fen in the rows; CSV writes plain yuan decimals (UTF-8 with BOM, for Excel and WPS),
XLSX exact yuan numbers with the ¥ format, as the exception report does
(``ledger.findings.report_tables``); every text cell is neutralised against formulas.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.cells import neutralise_cell
from ledger.findings.report_tables import MAX_WIDTH, MONEY_FORMAT, display_width, yuan
from ledger.money import format_yuan


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = "text"  # text, int, money

    def title(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass
class Table:
    """``rows``: dicts by column key; ``links``: per row, the URL each cell links to."""

    name: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    # Rows left off the page (the download has them all).
    shown: int | None = None

    def add(self, row: dict[str, Any], links: dict[str, str] | None = None) -> None:
        self.rows.append(row)
        self.links.append(links or {})

    def cell(self, row: dict[str, Any], column: Column) -> str:
        value = row.get(column.key)
        if value is None:
            return ""
        if column.kind == "money":
            return format_yuan(int(value), thousands=True)
        return str(value)

    @property
    def visible(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        pairs = list(zip(self.rows, self.links, strict=True))
        return pairs if self.shown is None else pairs[: self.shown]


def table_csv(table: Table, lang: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title(lang) for c in table.columns])
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = row.get(column.key)
            if value is None:
                cells.append("")
            elif column.kind == "money":
                cells.append(format_yuan(int(value)))
            elif column.kind == "int":
                cells.append(str(int(value)))
            else:
                cells.append(neutralise_cell(str(value)))
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig")


def table_xlsx(table: Table, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.name[:31]
    header = [c.title(lang) for c in table.columns]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [display_width(h) for h in header]
    for row in table.rows:
        values: list[Any] = []
        for i, column in enumerate(table.columns):
            value = row.get(column.key)
            if value is None:
                values.append(None)
                continue
            if column.kind == "money":
                values.append(yuan(int(value)))
                shown = format_yuan(int(value), thousands=True) + "  "
            elif column.kind == "int":
                values.append(int(value))
                shown = str(value)
            else:
                values.append(neutralise_cell(str(value)))
                shown = str(value)
            widths[i] = max(widths[i], display_width(shown))
        sheet.append(values)
    for i, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(widths[i - 1] + 2, MAX_WIDTH)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            if column.kind == "money":
                cell.number_format = MONEY_FORMAT
            elif column.kind == "text":
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download(table: Table, fmt: str, lang: str) -> tuple[bytes, str]:
    """The file's bytes and its content type."""
    if fmt == "csv":
        return table_csv(table, lang), CONTENT_TYPES["csv"]
    return table_xlsx(table, lang), CONTENT_TYPES["xlsx"]
