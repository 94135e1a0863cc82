"""Bytes of a text return file to lines, with encoding errors named by line."""

from __future__ import annotations

import codecs
from pathlib import Path

from ledger.files.returns.problems import refuse

UTF8_BOM = b"\xef\xbb\xbf"


def not_text(data: bytes) -> str | None:
    """Why the start of a file cannot be a text return at all (UTF-16, binary)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return (
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark): text returns are "
            "read in their profile's encoding (GB18030, GBK, UTF-8); ask the bank for that, "
            "or save the file in it"
        )
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        return (
            f"binary data (a NUL byte on line {line}), not a text return: UTF-16 without a "
            "byte-order mark, a spreadsheet or a compressed file?"
        )
    return None


def check_bom(path: Path, data: bytes, encoding: str, profile_name: str) -> None:
    """A UTF-8 byte-order mark in a file of another encoding refuses it."""
    if data.startswith(UTF8_BOM) and encoding.replace("-", "").replace("_", "").lower() not in (
        "utf8",
        "utf8sig",
    ):
        raise refuse(
            path,
            1,
            f"the file starts with a UTF-8 byte-order mark, but profile "
            f"{profile_name} is {encoding}: bad encoding",
        )


def decode(path: Path, data: bytes, encoding: str, profile_name: str) -> str:
    """The whole file as text; bytes that are not valid ``encoding`` refuse it."""
    check_bom(path, data, encoding, profile_name)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise _bad_byte(path, data, error.start, encoding, profile_name) from None


# Encodings in which no byte of a multi-byte character is a newline (0x0A): their text
# can be decoded line-aligned pieces at a time.
_LINE_SAFE = frozenset({"gb18030", "gbk", "gb2312", "utf-8", "ascii", "utf-8-sig", "big5"})


def to_utf8(
    path: Path, data: bytes, encoding: str, profile_name: str, piece: int = 1 << 23
) -> bytes:
    """The whole file as UTF-8 bytes (no byte-order mark); bytes that are not valid
    ``encoding`` refuse it. Decoded in line-aligned pieces where the encoding allows:
    the text of 10^6 lines with a rare character (𠮷) as one ``str`` takes 4 bytes a
    character."""
    if codecs.lookup(encoding).name not in _LINE_SAFE:
        return decode(path, data, encoding, profile_name).encode("utf-8")
    check_bom(path, data, encoding, profile_name)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    parts: list[bytes] = []
    start = 0
    while start < len(data):
        end = data.find(b"\n", min(start + piece, len(data)))
        end = len(data) if end < 0 else end + 1
        try:
            parts.append(data[start:end].decode(encoding).encode("utf-8"))
        except UnicodeDecodeError as error:
            raise _bad_byte(path, data, start + error.start, encoding, profile_name) from None
        start = end
    return b"".join(parts)


def _bad_byte(path: Path, data: bytes, at: int, encoding: str, profile_name: str) -> Exception:
    line = data.count(b"\n", 0, at) + 1
    start = data.rfind(b"\n", 0, at) + 1
    return refuse(
        path,
        line,
        f"bad encoding: byte {data[at]:#04x} at column "
        f"{at - start + 1} is not valid {encoding} "
        f"(profile {profile_name})",
    )


def byte_lines(data: bytes) -> list[bytes]:
    """Lines without their CR/LF; trailing empty lines dropped."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    lines = data.split(b"\n")
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines
