"""Bytes of a text return file to lines, with encoding errors named by line."""

from __future__ import annotations

from pathlib import Path

from ledger.files.returns.problems import refuse

UTF8_BOM = b"\xef\xbb\xbf"


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
        line = data.count(b"\n", 0, error.start) + 1
        start = data.rfind(b"\n", 0, error.start) + 1
        raise refuse(
            path,
            line,
            f"bad encoding: byte {data[error.start]:#04x} at column "
            f"{error.start - start + 1} is not valid {encoding} "
            f"(profile {profile_name})",
        ) from None


def byte_lines(data: bytes) -> list[bytes]:
    """Lines without their CR/LF; trailing empty lines dropped."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    lines = data.split(b"\n")
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines
