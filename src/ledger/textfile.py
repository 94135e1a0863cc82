"""Whether an input file is text we can read, and whether its rows have its header's shape.

Counties send CSV in UTF-8 (with or without BOM) or GB18030 (which includes GBK and
GB2312). What else arrives, and what each check says so the clerk can fix it:
- UTF-16 (Excel's "Unicode text"), named as such, with the way out;
- binary files (an XLSX or image saved as .csv, a database dump): the offset and the
  line of the first NUL or undecodable byte;
- a file without line breaks (one 10 MB line): the first line cannot be a header;
- rows with more or fewer fields than the header: each named, with the count expected.
"""

import codecs
import csv
from pathlib import Path

from ledger.errors import ValidationError

BOM = codecs.BOM_UTF8
DETECTED_ENCODINGS = ("utf-8", "gb18030")
# A header row is a few hundred characters; a first line longer than this is not one.
HEADER_LIMIT_CHARS = 65_536
# Python's csv module refuses longer fields; no cell of ours comes near it.
FIELD_LIMIT_CHARS = csv.field_size_limit()
_BLOCK = 1 << 20


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else GB18030,
    else refuse naming the first bad byte; UTF-16 and binary files are named as such."""
    with path.open("rb") as stream:
        head = stream.read(4)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise ValidationError(
            f"{path}: UTF-16 text (it starts with a UTF-16 byte order mark), which is not "
            "read: save it as CSV UTF-8 (Excel: 'CSV UTF-8 (Comma delimited)') or GB18030"
        )
    if head[:3] == BOM:
        check_encoding(path, "utf-8-sig")
        return "utf-8-sig"
    for encoding in DETECTED_ENCODINGS:
        if _first_bad_byte(path, encoding) is None:
            return encoding
    offset = _first_bad_byte(path, "utf-8")
    assert offset is not None
    raise ValidationError(
        f"{path}: neither UTF-8 nor GB18030/GBK text (first undecodable byte at offset "
        f"{offset}, {_line_of(path, offset)}); save the file as UTF-8 or GB18030, or name "
        "its encoding with --encoding"
    )


def check_encoding(path: Path, encoding: str) -> None:
    """Refuse ``path`` unless it is text in ``encoding`` (and not binary)."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValidationError(f"unknown encoding {encoding!r}") from None
    offset = _first_bad_byte(path, encoding)
    if offset is not None:
        raise ValidationError(
            f"{path}: not valid {encoding} text (first undecodable byte at offset {offset}, "
            f"{_line_of(path, offset)})"
        )


def _first_bad_byte(path: Path, encoding: str) -> int | None:
    """The offset of the first byte that does not decode, or of the first NUL byte (in
    encodings where NUL is a character no text file holds: not UTF-16/32); raises for a
    file that is clearly binary."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    offset = 0
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            nul = -1 if wide else block.find(b"\0")
            if nul >= 0:
                _refuse_binary(path, offset + nul, block if offset == 0 else b"")
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                return offset + error.start
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset
    return None


def _refuse_binary(path: Path, offset: int, head: bytes) -> None:
    if head.startswith(b"PK\x03\x04"):
        what = "a ZIP archive (an XLSX workbook saved with a .csv name? name it .xlsx)"
    elif _looks_like_utf16(head[:4096]):
        what = "UTF-16 text (without a byte order mark): save it as UTF-8 or GB18030"
    else:
        what = "binary data, not a CSV text file"
    raise ValidationError(
        f"{path}: a NUL byte at offset {offset} ({_line_of(path, offset)}): {what}"
    )


def _looks_like_utf16(head: bytes) -> bool:
    """Most ASCII characters (digits, commas) of UTF-16 text have a NUL byte on the same
    side of every pair; binary data has its NUL bytes anywhere."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return max(even, odd) > len(head) // 10 and min(even, odd) * 4 < max(even, odd)


def _line_of(path: Path, offset: int) -> str:
    """ "line N" of the byte at ``offset`` (lines counted by LF, from 1)."""
    newlines = 0
    done = 0
    with path.open("rb") as stream:
        while done < offset and (block := stream.read(min(_BLOCK, offset - done))):
            newlines += block.count(b"\n")
            done += len(block)
    return f"line {newlines + 1}"


def read_header(path: Path, encoding: str) -> list[str]:
    """The fields of the first line of a CSV file; refused if that line is too long to
    be a header (a file without line breaks, a binary or one-line dump)."""
    with path.open(encoding=encoding, newline="") as stream:
        line = stream.readline(HEADER_LIMIT_CHARS + 1)
    if len(line) > HEADER_LIMIT_CHARS:
        raise ValidationError(
            f"{path}: line 1 is longer than {HEADER_LIMIT_CHARS:,} characters without a "
            "line break, so it is not a header row: this is not a CSV table (one row per "
            "line, the column names on line 1)"
        )
    try:
        return next(csv.reader([line]), [])
    except csv.Error as error:
        raise ValidationError(f"{path}: line 1 (the header) is not CSV: {error}") from None


def field_count_problems(
    path: Path, encoding: str | None, width: int, limit: int = 1000
) -> tuple[list[str], int]:
    """Rows (as the user counts them: the header is row 1; a quoted line break stays in
    its row) whose number of fields differs from the header's ``width``; blank lines are
    not rows of data and pass. Returns the first ``limit`` problems and their count."""
    problems: list[str] = []
    count = 0
    with path.open(encoding=encoding, newline="") as stream:
        reader = csv.reader(stream)
        row = 0
        try:
            for row, fields in enumerate(reader, start=1):
                if row == 1 or not fields or len(fields) == width:
                    continue
                count += 1
                if len(problems) < limit:
                    more = "more" if len(fields) > width else "fewer"
                    problems.append(
                        f"{path}, row {row} (line {reader.line_num}): {len(fields)} fields, "
                        f"{more} than the {width} of the header (a stray or missing comma, "
                        "or an unquoted comma inside a value?)"
                    )
        except csv.Error as error:
            count += 1
            problems.append(
                f"{path}, row {row + 1} (line {reader.line_num}): not readable as CSV: "
                f"{error} (a field of more than {FIELD_LIMIT_CHARS:,} characters or a "
                "broken quote: is this the right file?)"
            )
    return problems, count
