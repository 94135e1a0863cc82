"""What a table is read into: known columns, problems with file, row and column."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from ledger.errors import ValidationError

DEFAULT_CHUNK_ROWS = 50_000


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
