"""Reading the spreadsheets counties send: CSV (UTF-8 or GB18030/GBK) and XLSX.

A file is read as text only (every cell a ``str``, never a number: ID and card numbers
must keep every digit) in chunks of rows, so memory stays bounded however long the file
is. Headers are matched to known columns by their Chinese header or English alias,
case-insensitively. Every problem names the file, the row as the user counts it (the
header is row 1) and the column as written in the file.

Modules: ``model`` (columns, problems), ``reader`` (``open_table``, ``Table``),
``checks`` (``Checker``), ``values`` (``per_unique``).
"""

from ledger.columns import ROW, Column
from ledger.tabular.checks import Checker
from ledger.tabular.model import (
    DEFAULT_CHUNK_ROWS,
    GROUP_FROM,
    ROWS_SHOWN,
    Problem,
    Problems,
    grouped_lines,
)
from ledger.tabular.reader import Table, open_table
from ledger.tabular.values import per_unique

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "GROUP_FROM",
    "ROW",
    "ROWS_SHOWN",
    "Checker",
    "Column",
    "Problem",
    "Problems",
    "Table",
    "grouped_lines",
    "open_table",
    "per_unique",
]
