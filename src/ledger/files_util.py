"""Small helpers for input files: their SHA-256 and a cheap row-count estimate."""

import hashlib
from pathlib import Path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def count_lines(path: Path) -> int:
    """Newlines in a file: a progress bar's length for a CSV (exact unless cells hold
    line breaks)."""
    total = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            total += block.count(b"\n")
    return total
