"""Which kind of return a file is, decided by its content, never by its name."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from ledger.files.returns.problems import refuse
from ledger.files.returns.profiles import PROFILES, ReturnProfile
from ledger.files.returns.text_source import UTF8_BOM, byte_lines

# The message element under Document, by local name, and the format it means.
ISO_MESSAGES = {
    "CstmrPmtStsRpt": "pain.002",
    "BkToCstmrStmt": "camt.053",
    "BkToCstmrDbtCdtNtfctn": "camt.054",
    "BkToCstmrAcctRpt": "camt.052",
    "PmtRtr": "pacs.004",
}
_SNIFF_BYTES = 1 << 16


def _iso_message(path: Path) -> str:
    """The local name of the message element, read without parsing the whole file."""
    try:
        for _event, element in etree.iterparse(
            str(path),
            events=("start",),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
        ):
            local = etree.QName(element).localname
            if local != "Document":
                return local
    except etree.XMLSyntaxError as error:
        raise refuse(
            path, error.lineno or None, f"not well-formed XML (truncated?): {error.msg}"
        ) from None
    raise refuse(path, None, "an XML document with no message in it")


def _matches(profile: ReturnProfile, lines: list[bytes]) -> bool:
    # The shape only: a file that has the shape but bad bytes or missing columns is
    # then refused by the parser with the line and the reason.
    if profile.layout == "csv":
        # A file in another encoding (UTF-8 given to a GB18030 profile) still has the
        # profile's shape: it is matched, then refused by the parser as bad encoding.
        return _csv_matches(profile, _decode(lines[:2], profile.encoding)) or _csv_matches(
            profile, _decode(lines[:2], "utf-8")
        )
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


def _csv_matches(profile: ReturnProfile, head: list[str]) -> bool:
    fields = [f.strip().strip('"') for f in head[0].split(profile.delimiter)]
    if profile.header and fields[0] == profile.header[0].title:
        return len(head) < 2 or profile.delimiter in head[1]
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
    stripped = start[len(UTF8_BOM) :] if start.startswith(UTF8_BOM) else start
    if stripped.lstrip().startswith(b"<"):
        local = _iso_message(path)
        if local not in ISO_MESSAGES:
            raise refuse(
                path,
                None,
                f"an XML message {local!r} is not a bank return we read "
                f"(we read {', '.join(sorted(set(ISO_MESSAGES.values())))})",
            )
        return ISO_MESSAGES[local]
    lines = byte_lines(start)
    if not lines:
        raise refuse(path, None, "the file is empty")
    candidates = [*profiles, *PROFILES.values()]
    for profile in candidates:
        if _matches(profile, lines):
            return profile.name
    raise refuse(
        path,
        1,
        "not a return format we know (ISO 20022 XML, or a text layout "
        f"of profile {', '.join(p.name for p in candidates)})",
    )
