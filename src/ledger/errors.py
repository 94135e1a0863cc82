"""Domain errors: expected operating errors a user can fix.

Anything raised as a ``LedgerError`` is shown to the user as ``Error: ...`` and exits 1,
except ``AlreadyImported``, which import commands report as done (exit 0).
Programmer errors (an invariant broken by our own code) are not ``LedgerError`` and keep
their traceback.
"""


class LedgerError(Exception):
    """An operation was refused; the message tells the user why and what to do."""


class ValidationError(LedgerError):
    """Input was rejected. ``problems`` lists every problem found, not only the first."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.message = message
        self.problems = list(problems or [])
        full = (
            message
            if not self.problems
            else message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        )
        super().__init__(full)

    def __reduce__(self) -> tuple[type["ValidationError"], tuple[str, list[str]]]:
        # Pickled whole (a read-ahead worker sends it to the importing process).
        return (type(self), (self.message, self.problems))


class AlreadyImported(LedgerError):
    """The exact file (same SHA-256) was imported before: nothing was changed.

    Not a failure: every import command prints the message and exits 0, so a retried
    job or a file sent twice is harmless (docs/operations.md § Exit status).
    ``import_id`` is the earlier import's id.
    """

    def __init__(self, message: str, import_id: int) -> None:
        self.import_id = import_id
        super().__init__(message)

    def __reduce__(self) -> tuple[type["AlreadyImported"], tuple[str, int]]:
        return (type(self), (str(self), self.import_id))


class ReadOnlyError(LedgerError):
    """A write was attempted on a read-only connection."""
