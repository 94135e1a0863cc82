"""Reading ISO 20022 XML by local element names, whatever the namespace (version).

The document is parsed once with lxml (no DTDs, no network, no entity expansion; a
DOCTYPE is refused before parsing), the ``Document`` is found (also inside an envelope
with a Business Application Header), and namespaces are stripped in place, so
``pain.002.001.03`` and ``.12`` read through the same ``find`` paths. XML declares its
own encoding (UTF-8, UTF-16 with its byte-order mark, GB18030...): lxml reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ledger.files.returns.amounts import fen_from_text
from ledger.files.returns.iso_versions import ISO_MESSAGES, message_format
from ledger.files.returns.problems import Problems, refuse

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CURRENCY = "CNY"
SNIFF_BYTES = 1 << 16
# Blanks, the XML declaration, comments and processing instructions before the root.
_PROLOG = re.compile(r"\ufeff?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)


def xml_head(data: bytes) -> str | None:
    """The start of a file as text if it is XML (its first character is ``<``), else None.

    UTF-16 is told by its byte-order mark or by ``<`` next to a NUL byte; any other XML
    starts with ``<`` (after an optional UTF-8 byte-order mark and blanks), and its
    markup up to the root element is ASCII whatever its declared encoding."""
    text: str
    if data.startswith(b"\xff\xfe") or data.startswith(b"<\x00"):
        text = data[: len(data) // 2 * 2].decode("utf-16-le", "replace")
    elif data.startswith(b"\xfe\xff") or data.startswith(b"\x00<"):
        text = data[: len(data) // 2 * 2].decode("utf-16-be", "replace")
    else:
        text = data.decode("latin-1")
        if text.startswith("\xef\xbb\xbf"):
            text = "\ufeff" + text[3:]
    return text if text.lstrip("\ufeff \t\r\n").startswith("<") else None


def refuse_doctype(path: Path, head: str) -> None:
    """A DOCTYPE (and so any entity declaration) in a bank's XML is refused outright: no
    ISO 20022 message has one, and entities are how an entity-expansion attack
    ("billion laughs") or an external-entity read gets in."""
    prolog = _PROLOG.match(head)
    at = prolog.end() if prolog else 0
    if head.startswith("<!DOCTYPE", at):
        raise refuse(
            path,
            head.count("\n", 0, at) + 1,
            "a DOCTYPE (document type / entity declarations) is not allowed in bank XML: "
            "ISO 20022 messages have none, and entity declarations are how an "
            "entity-expansion attack (billion laughs) gets in",
        )


def syntax_reason(error: etree.XMLSyntaxError) -> str:
    """What a user can do with an lxml syntax error."""
    message = str(error.msg or error)
    if "depth" in message.lower():
        levels = re.search(r"\d+", message)
        deep = f"more than {levels.group(0)} levels" if levels else "too"
        return f"XML nested {deep} deep: not a bank return (a bank return has a few dozen)"
    if "amplification" in message.lower():
        return f"entity declarations are not allowed in bank XML (entity expansion): {message}"
    return f"not well-formed XML (truncated?): {message}"


@dataclass(frozen=True)
class Message:
    """A parsed bank XML file: the tree (namespaces stripped), the message element under
    ``Document``, its format and namespace, and the Business Application Header's
    message id (``AppHdr/BizMsgIdr``) when the Document came in an envelope."""

    tree: etree._ElementTree
    root: etree._Element
    format: str
    namespace: str
    header_message_id: str | None


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _elements(element: etree._Element) -> list[etree._Element]:
    """Child elements, skipping comments and processing instructions."""
    return [child for child in element if isinstance(child.tag, str)]


def _header_message_id(root: etree._Element, document: etree._Element) -> str | None:
    """``AppHdr/BizMsgIdr`` of the envelope's Business Application Header (head.001)."""
    for element in root.iter(etree.Element):
        if element is document:
            break
        if _local(element) == "AppHdr":
            for child in element.iter(etree.Element):
                if _local(child) == "BizMsgIdr" and (child.text or "").strip():
                    return (child.text or "").strip()
    return None


def load(path: Path) -> Message:
    """Parse, find the message, check its version, strip namespaces; refused whole when
    malformed, truncated, with a DOCTYPE, or not a supported bank return."""
    with open(path, "rb") as handle:
        head = xml_head(handle.read(SNIFF_BYTES))
    if head is not None:
        refuse_doctype(path, head)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        raise refuse(path, line, syntax_reason(error)) from None
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise refuse(path, 1, "a DOCTYPE is not allowed in bank XML (entity expansion)")
    top = tree.getroot()
    # One pass: the Document (the root, or the first inside an envelope), and any other.
    documents = [e for e in top.iter(etree.Element) if _local(e) == "Document"]
    document = documents[0] if documents else None
    if len(documents) > 1:
        # Reading only the first would drop the others' lines without a word.
        raise refuse(
            path,
            documents[1].sourceline,
            f"{len(documents)} Documents in one file: import each message as its own file",
        )
    if document is None:
        if _local(top) not in ISO_MESSAGES:
            raise refuse(
                path, top.sourceline, f"no ISO 20022 Document in it (its root is {_local(top)!r})"
            )
        message = top  # a message element with no Document around it
        header = None
    else:
        children = _elements(document)
        if not children:
            raise refuse(path, document.sourceline, "the Document has no message in it")
        message = children[0]
        header = _header_message_id(top, document)
    namespace = etree.QName(document if document is not None else message).namespace
    kind = message_format(path, _local(message), namespace, message.sourceline)
    for element in tree.iter(etree.Element):
        if element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    return Message(tree, message, kind, namespace or "", header)


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
