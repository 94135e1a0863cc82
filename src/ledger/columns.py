"""The columns a county's file may have, named without loading the file reader.

Modules that only declare their columns (allocations, reference lists) import them from
here; ``ledger.tabular`` (pandas) reads the files and re-exports these names.
"""

from dataclasses import dataclass

ROW = "_row"  # the column holding each row's number (header = row 1)


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
