"""Which kind of return a file is, decided by its content, never by its name."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from ledger.files.returns.iso_versions import ISO_MESSAGES, message_format
from ledger.files.returns.problems import refuse
from ledger.files.returns.profiles import PROFILES, ReturnProfile
from ledger.files.returns.text_source import byte_lines, not_text
from ledger.files.returns.xml_support import refuse_doctype, syntax_reason, xml_head

_SNIFF_BYTES = 1 << 16
# Elements looked at before the Document (an envelope's header) before giving up.
_ENVELOPE_ELEMENTS = 10_000


def _iso_format(path: Path, head: str) -> str:
    """The format of an ISO message, told by its element and namespace, read without
    parsing the whole file: the element under ``Document``, also inside an envelope."""
    refuse_doctype(path, head)
    namespace: str | None = None
    in_document = False
    try:
        for count, (_event, element) in enumerate(
            etree.iterparse(
                str(path),
                events=("start",),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=True,
            )
        ):
            name = etree.QName(element)
            if in_document:
                return message_format(path, name.localname, namespace, element.sourceline)
            if name.localname == "Document":
                in_document, namespace = True, name.namespace
            elif count == 0 and name.localname in ISO_MESSAGES:  # no Document around it
                return message_format(path, name.localname, name.namespace, element.sourceline)
            elif count > _ENVELOPE_ELEMENTS:
                break
    except etree.XMLSyntaxError as error:
        raise refuse(path, error.lineno or None, syntax_reason(error)) from None
    if in_document:
        raise refuse(path, None, "the Document has no message in it")
    raise refuse(path, None, "an XML file with no ISO 20022 Document in it")


def _matches(profile: ReturnProfile, lines: list[bytes], *, exact: bool = False) -> bool:
    # The shape only: a file that has the shape but bad bytes or missing columns is
    # then refused by the parser with the line and the reason. ``exact``: a CSV's
    # column titles are all the profile's (two profiles with one header line, such as
    # a bank's return and a cash receipt list, are told apart by their titles).
    if profile.layout == "csv":
        # A file in another encoding (UTF-8 given to a GB18030 profile) still has the
        # profile's shape: it is matched, then refused by the parser as bad encoding.
        return any(
            _csv_matches(profile, _decode(lines[:2], encoding), exact)
            for encoding in (profile.encoding, "utf-8")
        )
    if exact:
        return False
    head = [line.decode(profile.encoding, "replace") for line in lines[:1]]
    if profile.delimiter in head[0]:
        return False
    record = profile.record_width
    if len(lines[0]) == record:
        return True
    if not profile.header or len(lines[0]) != profile.header_width:
        return False
    return len(lines) < 2 or len(lines[1]) == record


def _decode(lines: list[bytes], encoding: str) -> list[str]:
    return [line.decode(encoding, "replace") for line in lines]


def _csv_matches(profile: ReturnProfile, head: list[str], exact: bool = False) -> bool:
    fields = [f.strip().strip('"') for f in head[0].split(profile.delimiter)]
    if profile.header and fields[0] == profile.header[0].title:
        if exact:
            titles = {c.title for c in profile.columns}
            second = head[1].split(profile.delimiter) if len(head) > 1 else []
            return profile.column_names_row and titles <= {f.strip().strip('"') for f in second}
        return len(head) < 2 or profile.delimiter in head[1]
    if exact:
        return False
    if profile.column_names_row:
        titles = {c.title for c in profile.columns}
        return len(fields) > 1 and titles <= set(fields)
    return len(fields) == len(profile.columns)


def detect_format(path: Path | str, profiles: Iterable[ReturnProfile] = ()) -> str:
    """``"pain.002"``, ``"camt.053"``, ``"camt.054"``, ``"camt.052"``, ``"pacs.004"`` or the
    name of the first return profile (``profiles``, then the shipped ones) whose layout the
    file's first lines fit. A file that fits nothing is refused."""
    path = Path(path)
    with open(path, "rb") as handle:
        start = handle.read(_SNIFF_BYTES)
    head = xml_head(start)
    if head is not None:
        return _iso_format(path, head)
    problem = not_text(start)
    if problem is not None:
        raise refuse(path, 1, problem)
    lines = byte_lines(start)
    if not lines:
        raise refuse(path, None, "the file is empty")
    candidates = [*profiles, *PROFILES.values()]
    # A profile whose column titles are all there first, then the first that has the shape.
    for exact in (True, False):
        for profile in candidates:
            if _matches(profile, lines, exact=exact):
                return profile.name
    raise refuse(
        path,
        1,
        "not a return format we know (ISO 20022 XML, or a text layout "
        f"of profile {', '.join(p.name for p in candidates)})",
    )
