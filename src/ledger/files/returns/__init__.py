"""Bank returns: every format read into one shape (see ``model``), refused whole if malformed.

read_return(path, profile=None) -> ReturnFile     # detects the format by content
detect_format(path, profiles=()) -> str
file_sha256(path) -> str
fallback_statuses(lines, instructions) -> Series  # pain.002: unlisted take group status
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ledger.files.returns import camt, pacs004, pain002, tabular
from ledger.files.returns.detect import detect_format
from ledger.files.returns.digest import file_sha256
from ledger.files.returns.iso_versions import SUPPORTED
from ledger.files.returns.model import (
    COLUMNS,
    Anomaly,
    AnomalyKind,
    ReturnRecord,
    ReturnStatus,
    Scope,
)
from ledger.files.returns.pain002 import fallback_statuses
from ledger.files.returns.problems import refuse
from ledger.files.returns.profiles import (
    CSV_GB18030,
    FIXED_GBK,
    PROFILES,
    Column,
    Field,
    ReturnProfile,
    county_return_profiles,
    return_profile,
)
from ledger.files.returns.reasons import REASON_TABLE, reason_code
from ledger.files.returns.return_file import ReturnFile
from ledger.files.returns.text_source import byte_lines
from ledger.files.returns.xml_support import Reader, load

__all__ = [
    "COLUMNS",
    "CSV_GB18030",
    "FIXED_GBK",
    "PROFILES",
    "REASON_TABLE",
    "SUPPORTED",
    "Anomaly",
    "AnomalyKind",
    "Column",
    "Field",
    "ReturnFile",
    "ReturnProfile",
    "ReturnRecord",
    "ReturnStatus",
    "Scope",
    "county_return_profiles",
    "detect_format",
    "fallback_statuses",
    "file_sha256",
    "read_return",
    "reason_code",
    "return_profile",
]

_XML_PARSERS = {
    "pain.002": pain002.parse,
    "camt.052": camt.parse,
    "camt.053": camt.parse,
    "camt.054": camt.parse,
    "pacs.004": pacs004.parse,
}


def read_return(
    path: Path | str,
    profile: ReturnProfile | str | None = None,
    *,
    profiles: Iterable[ReturnProfile] = (),
) -> ReturnFile:
    """Read a bank return of any supported format into lines and anomalies.

    ``profile`` (a ``ReturnProfile`` or a shipped profile's name) forces a text layout;
    without it the format is detected by content among the ISO messages, ``profiles``
    and the shipped profiles. Raises ``ValidationError`` naming file, line and reason
    when the file is malformed; nothing is returned then.
    """
    path = Path(path)
    extra = list(profiles)
    if isinstance(profile, str):
        named = {p.name: p for p in [*extra, *PROFILES.values()]}
        if profile not in named:
            raise refuse(
                path, None, f"unknown return profile {profile!r} (known: {', '.join(named)})"
            )
        profile = named[profile]
    kind = profile.name if profile is not None else detect_format(path, extra)
    anomalies: list[Anomaly]
    lines: pd.DataFrame
    header_message_id = None
    if kind in _XML_PARSERS:
        message = load(path)
        kind, header_message_id = message.format, message.header_message_id
        lines, anomalies = _XML_PARSERS[kind](path, Reader(path, message.tree), message.root)
    else:
        chosen = profile or next(p for p in [*extra, *PROFILES.values()] if p.name == kind)
        lines, anomalies = tabular.parse(path, chosen)
    if lines.empty:
        # A file that says nothing about any payment is a defect (a header-only return,
        # a statement with no entries, a message we could not find lines in): refused,
        # never read as "0 lines, nothing to do".
        line = None if kind in _XML_PARSERS else _last_line(path)
        raise refuse(path, line, _NOTHING.get(kind, _NOTHING["text"]))
    return ReturnFile(path, kind, file_sha256(path), lines, tuple(anomalies), header_message_id)


def _last_line(path: Path) -> int | None:
    """The number of the last line of a (short: it has no payment lines) text file."""
    with open(path, "rb") as handle:
        return len(byte_lines(handle.read(1 << 16))) or None


_NOTHING = {
    "pain.002": "the status report lists no transaction and gives no group or payment "
    "information status: there is nothing to reconcile",
    "camt.052": "the report has no entries (Ntry): there is nothing to reconcile",
    "camt.053": "the statement has no entries (Ntry): there is nothing to reconcile",
    "camt.054": "the notification has no entries (Ntry): there is nothing to reconcile",
    "pacs.004": "the payment return has no returned transactions (TxInf): there is "
    "nothing to reconcile",
    "text": "the file has no payment lines (only a header or column names): there is "
    "nothing to reconcile",
}
