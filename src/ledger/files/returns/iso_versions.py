"""Which ISO 20022 bank returns we read: the message, found by its element and named by
its namespace, and the versions of each that we read.

A bank return is an ISO 20022 ``Document`` (possibly inside an envelope with a Business
Application Header, see ``xml_support``) whose namespace names the message and its
version: ``urn:iso:std:iso:20022:tech:xsd:camt.054.001.08``. We accept the versions
listed in ``SUPPORTED`` (their structures are the ones docs/reconciliation.md lists),
and refuse any other version, or a document with no namespace, naming what was found:
a message read by guesswork is a message read wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

from ledger.files.returns.problems import refuse

# The message element under Document, by local name, and the message it is.
ISO_MESSAGES = {
    "CstmrPmtStsRpt": "pain.002",
    "BkToCstmrStmt": "camt.053",
    "BkToCstmrDbtCdtNtfctn": "camt.054",
    "BkToCstmrAcctRpt": "camt.052",
    "PmtRtr": "pacs.004",
}

# The versions read, first and last (inclusive): ``camt.053.001.02`` ... ``.12``.
SUPPORTED: dict[str, tuple[int, int]] = {
    "pain.002": (3, 12),
    "camt.052": (2, 12),
    "camt.053": (2, 12),
    "camt.054": (2, 12),
    "pacs.004": (2, 11),
}

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3})\.001\.(\d{2})")


def supported_versions(message: str) -> str:
    first, last = SUPPORTED[message]
    return f"{message}.001.{first:02d} to .{last:02d}"


def message_format(path: Path, local: str, namespace: str | None, line: int | None) -> str:
    """The format (``"camt.054"``...) of a message element ``local`` in ``namespace``;
    anything but a supported version of a bank return we read is refused."""
    if local not in ISO_MESSAGES:
        raise refuse(
            path,
            line,
            f"an XML message {local!r} is not a bank return we read "
            f"(we read {', '.join(sorted(set(ISO_MESSAGES.values())))})",
        )
    message = ISO_MESSAGES[local]
    if not namespace:
        raise refuse(
            path,
            line,
            f"the {message} document has no namespace: its version cannot be told "
            f"(we read {supported_versions(message)})",
        )
    found = _NAMESPACE.fullmatch(namespace)
    if found is None or found.group(1) != message:
        raise refuse(
            path,
            line,
            f"namespace {namespace!r} is not that of a {message} message "
            f"(we read {supported_versions(message)})",
        )
    first, last = SUPPORTED[message]
    if not first <= int(found.group(2)) <= last:
        raise refuse(
            path,
            line,
            f"{message} version {message}.001.{found.group(2)} (namespace {namespace!r}) "
            f"is not one we read (we read {supported_versions(message)})",
        )
    return message
