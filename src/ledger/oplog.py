"""The operations log: who ran which command, when, and how it ended, for the server.

Configured in the county file::

    [logging]
    file = "/var/log/ledger/operations.log"
    max_bytes = 10485760      # rotate at 10 MB (default)
    backups = 10              # keep operations.log.1 ... .10 (default)

One line per command, written when it ends (``ledger.cli.LedgerGroup``): time (UTC),
operator (``--operator`` / LEDGER_OPERATOR), OS login, the command and its arguments,
exit status, seconds and, when it failed, the one error line. ID numbers (15/18 digits)
and card numbers (16-19 digits) are masked in every line (first 6 + last 4), the
database URL's password is hidden. The file rotates with the standard library's
``RotatingFileHandler``, imported only when a command runs with logging configured, so
``ledger --help`` pays nothing.
"""

import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.county_fields import section

LOGGER = "ledger.operations"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 10
KNOWN = ("file", "max_bytes", "backups")

# A run of 15 to 19 digits (an 18-character ID may end in X) not inside a longer number.
_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15,19})(?![0-9A-Za-z])")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


@dataclass(frozen=True)
class LogSettings:
    file: str
    max_bytes: int = DEFAULT_MAX_BYTES
    backups: int = DEFAULT_BACKUPS


def mask_text(text: str) -> str:
    """``text`` with ID and card numbers masked and URL passwords hidden."""
    from ledger.identity import mask  # numpy: only when a log is written

    text = _NUMBER.sub(lambda m: mask(m.group(1)), text)
    return _URL_PASSWORD.sub(r"\1***@", text)


def parse_settings(raw: dict[str, Any], problems: list[str]) -> LogSettings | None:
    """The ``[logging]`` table of a county file (None when absent); problems appended."""
    table = section(raw.get("logging"), "logging", KNOWN, problems, word="setting")
    if table is None:
        return None
    file = table.get("file")
    if not isinstance(file, str) or not file.strip():
        problems.append("logging.file: must be the path of the log file, as text")
    values = {}
    for key, default, low in (
        ("max_bytes", DEFAULT_MAX_BYTES, 1024),
        ("backups", DEFAULT_BACKUPS, 1),
    ):
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            problems.append(
                f"logging.{key}: must be a whole number of at least {low}, got {value!r}"
            )
            value = default
        values[key] = value
    if not isinstance(file, str) or not file.strip():
        return None
    return LogSettings(file.strip(), **values)


def _option(args: Sequence[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1 :]
    return None


def settings_for(args: Sequence[str]) -> LogSettings | None:
    """The log settings of the county file this command line uses (``--county``,
    LEDGER_COUNTY, ./county.toml); None when there is none or it configures no log.
    A file that cannot be read is the command's own business: it reports it."""
    path = _option(args, "--county") or os.environ.get("LEDGER_COUNTY") or "county.toml"
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    problems: list[str] = []
    settings = parse_settings(raw, problems)
    return None if problems else settings


def command_of(args: Sequence[str], names: set[str]) -> str:
    """The command words of a command line (``batch run``): the leading words that are
    not options, stopping at the first option."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("--db",):
            skip = True
            continue
        if arg.startswith("-"):
            if words:
                break
            continue
        words.append(arg)
        if len(words) == 2 or (len(words) == 1 and arg not in names):
            break
    return " ".join(words)


class _MaskFilter:
    """A logging filter: every message leaves with ID and card numbers masked."""

    def filter(self, record: Any) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def write(
    settings: LogSettings,
    *,
    args: Sequence[str],
    command: str,
    operator: str | None,
    login: str,
    started: datetime,
    seconds: float,
    status: int,
    error: str | None,
) -> None:
    """Append the line of one finished command to the log (rotating when it is full)."""
    import logging
    import logging.handlers

    handler = logging.handlers.RotatingFileHandler(
        settings.file, maxBytes=settings.max_bytes, backupCount=settings.backups, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_MaskFilter())
    logger = logging.getLogger(LOGGER)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        fields = [
            started.astimezone(UTC).isoformat(timespec="seconds"),
            f"operator={operator or '-'}",
            f"login={login}",
            f"command={_quote(command)}",
            f"args={_quote(' '.join(args))}",
            f"exit={status}",
            f"seconds={seconds:.3f}",
        ]
        if error:
            fields.append(f"error={_quote(error.strip().splitlines()[0] if error.strip() else '')}")
        logger.log(logging.ERROR if status else logging.INFO, " ".join(fields))
    finally:
        logger.removeHandler(handler)
        handler.close()


def operator_of(args: Sequence[str]) -> str | None:
    return _option(args, "--operator") or os.environ.get("LEDGER_OPERATOR") or None
