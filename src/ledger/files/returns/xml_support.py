"""Reading ISO 20022 XML by local element names, whatever the namespace (version).

The document is parsed once with lxml (no DTDs, no network, no entity expansion) and
its namespaces are stripped in place, so ``pain.002.001.03`` and ``.12`` read through
the same ``find`` paths.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from ledger.files.returns.amounts import fen_from_text
from ledger.files.returns.problems import Problems, refuse

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
CURRENCY = "CNY"


def load(path: Path) -> etree._ElementTree:
    """Parse and strip namespaces; a malformed or truncated document is refused."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        raise refuse(path, line, f"not well-formed XML (truncated?): {error.msg}") from None
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    return tree


def message_root(tree: etree._ElementTree) -> etree._Element:
    """The message element under ``Document`` (``CstmrPmtStsRpt``, ``BkToCstmrStmt``...)."""
    root = tree.getroot()
    if root.tag == "Document" and len(root):
        return root[0]
    return root


def text(element: etree._Element, path: str) -> str | None:
    """Stripped text at ``path`` below ``element``, or None when absent or empty."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def first_text(element: etree._Element, *paths: str) -> str | None:
    for path in paths:
        value = text(element, path)
        if value is not None:
            return value
    return None


class Reader:
    """Per-document helpers that report problems with the element's line and path."""

    def __init__(self, path: Path, tree: etree._ElementTree) -> None:
        self.path = path
        self.tree = tree
        self.problems = Problems(path)

    def where(self, element: etree._Element) -> str:
        return str(self.tree.getpath(element))

    def amount(self, element: etree._Element, path: str, *, required: bool) -> int | None:
        """An amount in fen at ``path``; non-CNY, malformed or missing (if required): a problem."""
        found = element.find(path)
        if found is None or not (found.text or "").strip():
            if required:
                self.problems.add(element.sourceline, f"{path} is missing", self.where(element))
            return None
        currency = found.get("Ccy")
        if currency is not None and currency != CURRENCY:
            self.problems.add(
                found.sourceline, f"currency {currency}: this ledger pays in CNY", self.where(found)
            )
            return None
        try:
            return fen_from_text(found.text or "")
        except ValueError as error:
            self.problems.add(found.sourceline, str(error), self.where(found))
            return None

    def date(self, element: etree._Element, path: str) -> str | None:
        """``path/Dt``, or the date part of ``path/DtTm``, or ``path`` itself as YYYY-MM-DD."""
        found = element.find(path)
        if found is None:
            return None
        value = first_text(found, "Dt", "DtTm") or (found.text or "").strip()
        if not value:
            return None
        if not _DATE_RE.match(value):
            self.problems.add(
                found.sourceline, f"{path}: {value!r} is not a date", self.where(found)
            )
            return None
        return value[:10]


def account_id(party_account: etree._Element | None) -> str | None:
    """``Id/IBAN`` or ``Id/Othr/Id`` of an account element."""
    if party_account is None:
        return None
    return first_text(party_account, "Id/IBAN", "Id/Othr/Id")


def party_name(party: etree._Element | None) -> str | None:
    """``Nm`` or, in the newer versions, ``Pty/Nm``."""
    if party is None:
        return None
    return first_text(party, "Nm", "Pty/Nm")
