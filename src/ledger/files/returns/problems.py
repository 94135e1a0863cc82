"""Collecting every problem in a file, then refusing it whole with all of them."""

from __future__ import annotations

from pathlib import Path

from ledger.errors import ValidationError

# Beyond this many, a refusal lists the first ones and says how many more there were.
MAX_LISTED = 50


class Problems:
    """Problems found in one file, each with its line (and element, for XML)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []
        self.count = 0

    def add(self, line: int | None, reason: str, element: str = "") -> None:
        self.count += 1
        if len(self.items) < MAX_LISTED:
            where = f"{self.path.name}:{line}" if line is not None else self.path.name
            self.items.append(f"{where}{' ' + element if element else ''}: {reason}")

    def raise_if_any(self) -> None:
        if not self.count:
            return
        listed = list(self.items)
        if self.count > len(listed):
            listed.append(f"... and {self.count - len(listed)} more")
        raise ValidationError(
            f"{self.path}: refused whole, nothing was read ({self.count} problem"
            f"{'s' if self.count != 1 else ''})",
            listed,
        )


def refuse(path: Path, line: int | None, reason: str, element: str = "") -> ValidationError:
    """A refusal with a single problem (truncated XML, bad encoding...)."""
    problems = Problems(path)
    problems.add(line, reason, element)
    try:
        problems.raise_if_any()
    except ValidationError as error:
        return error
    raise AssertionError("unreachable")
