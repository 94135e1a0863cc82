"""The province extract, version 2: its tables, their columns, and the keyed hashes.

An extract holds one county's data for one period in ``county=<code>/period=<YYYY-MM>/``:
one Parquet file per table below and ``manifest.json`` (``ledger.province.manifest``).
Money is int64 fen. Every table carries ``county`` (the county code) so files can be read
together without partition discovery.

Identity. ``id_key`` is a keyed hash (BLAKE2b-128 keyed with the province's extract key,
hex) of the 18-digit ID number; a 15-digit legacy ID is first converted to its 18-digit
form, so both link exactly. ``id_near`` holds the keyed hashes of the ID's 17-digit body
with one position of the region code (1-6) or of the sequence number (15-17) blanked: two
IDs whose bodies differ in exactly one of those digits share one of these values (the
fuzzy linkage, docs/province.md). ``name_key`` is the keyed hash of the name (NFKC, no
spaces). Account numbers become ``account_key`` the same way. Under the ``full`` ID
policy, the clear ``id_number``, ``name`` and ``account_number`` are added; under
``hashed`` (the default) those columns are null.

The reference lists (deaths, staff, cadres' relatives) carry the same ``id_near``,
``name_key`` and ``birth_date`` (read from the listed ID) as recipients, computed by the
same functions, so the province matches a list entry typed one digit wrong (version 2;
version 1 extracts, without these columns, are still read: their lists match exactly).
"""

import hashlib
import unicodedata
from collections.abc import Iterable
from datetime import date

import pyarrow as pa

from ledger.identity import birth_date, id_check_char

FORMAT = "ledger-province-extract"
SCHEMA_VERSION = 2
# Versions the job reads: a version 1 extract lacks the lists' linkage columns (null).
READABLE_VERSIONS = (1, 2)
ID_POLICIES = ("hashed", "full")
# Body positions (0-based) blanked in id_near: the region code and the sequence number.
# A typo in the birth date changes the birth date, which the linkage also compares.
NEAR_POSITIONS = (0, 1, 2, 3, 4, 5, 14, 15, 16)

_S, _I, _D, _B = pa.string(), pa.int64(), pa.date32(), pa.bool_()
_TS = pa.timestamp("us", tz="UTC")

TABLES: dict[str, pa.Schema] = {
    # Every recipient the county ledger knows.
    "recipients": pa.schema(
        [
            ("county", _S),
            ("recipient_key", _S),
            ("id_key", _S),
            ("id_near", pa.list_(_S)),
            ("name_key", _S),
            ("birth_date", _D),
            ("id_number", _S),
            ("name", _S),
        ]
    ),
    # The current version of each enrolment (status, months, account).
    "enrolments": pa.schema(
        [
            ("county", _S),
            ("recipient_key", _S),
            ("program", _S),
            ("township", _S),
            ("village", _S),
            ("amount_fen", _I),
            ("status", _S),
            ("start_month", _S),
            ("end_month", _S),
            ("exit_date", _D),
            ("account_key", _S),
            ("account_number", _S),
        ]
    ),
    # Every payment instruction of the period's batches, with its bank outcome.
    "instructions": pa.schema(
        [
            ("county", _S),
            ("period", _S),
            ("instruction_id", _I),
            ("batch_id", _I),
            ("batch_state", _S),
            ("program", _S),
            ("recipient_key", _S),
            ("township", _S),
            ("amount_fen", _I),
            ("bank", _S),
            ("account_key", _S),
            ("account_number", _S),
            ("end_to_end_id", _S),
            ("status", _S),
            ("reason_code", _S),
            ("settled_at", _TS),
            ("failed_at", _TS),
        ]
    ),
    # The county's death registry (cumulative: every import).
    "deaths": pa.schema(
        [
            ("county", _S),
            ("id_key", _S),
            ("id_near", pa.list_(_S)),
            ("name_key", _S),
            ("birth_date", _D),
            ("id_number", _S),
            ("death_date", _D),
            ("source", _S),
            ("import_id", _I),
            ("row_no", _I),
        ]
    ),
    # The latest staff roster (财政供养人员) and its salary accounts.
    "staff": pa.schema(
        [
            ("county", _S),
            ("id_key", _S),
            ("id_near", pa.list_(_S)),
            ("name_key", _S),
            ("birth_date", _D),
            ("id_number", _S),
            ("employer", _S),
            ("import_id", _I),
            ("row_no", _I),
        ]
    ),
    "staff_accounts": pa.schema(
        [("county", _S), ("id_key", _S), ("account_key", _S), ("import_id", _I)]
    ),
    # The latest cadre roster: one row per cadre and near relative.
    "cadres": pa.schema(
        [
            ("county", _S),
            ("cadre_id_key", _S),
            ("employer", _S),
            ("position", _S),
            ("relative_id_key", _S),
            ("relative_id_near", pa.list_(_S)),
            ("relative_name_key", _S),
            ("relative_birth_date", _D),
            ("relative_id_number", _S),
            ("relation", _S),
            ("filed", _B),
            ("import_id", _I),
            ("row_no", _I),
        ]
    ),
}

# Columns that hold personal data in clear: null under the hashed policy.
CLEAR_COLUMNS = {"recipients": ("id_number", "name"), "enrolments": ("account_number",)}
CLEAR_COLUMNS["instructions"] = ("account_number",)
CLEAR_COLUMNS["deaths"] = CLEAR_COLUMNS["staff"] = ("id_number",)
CLEAR_COLUMNS["cadres"] = ("relative_id_number",)


class Hasher:
    """Keyed hashes with the province's extract key (every county uses the same key, so
    the same ID gives the same ``id_key`` in every county's extract)."""

    def __init__(self, key: str) -> None:
        raw = key.encode("utf-8")
        if len(raw) < 16:
            raise ValueError("the extract key has at least 16 characters")
        self._key = hashlib.blake2b(raw, digest_size=32).digest()
        self.fingerprint = self.one("ledger-province-key-check")[:16]

    def one(self, value: str) -> str:
        return hashlib.blake2b(value.encode("utf-8"), key=self._key, digest_size=16).hexdigest()

    def many(self, values: Iterable[str | None]) -> list[str | None]:
        one = self.one
        return [None if v is None else one(v) for v in values]

    def ids(self, values: Iterable[str | None]) -> list[str | None]:
        return self.many(None if v is None else id18(v) for v in values)

    def near(self, values: Iterable[str | None]) -> list[list[str] | None]:
        """``id_near`` of each ID: one hash per blanked position of NEAR_POSITIONS (None
        for a missing ID: an entry without one matches nothing)."""
        one = self.one
        out: list[list[str] | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            body = id18(value)[:17]
            out.append([one(f"{p}:{body[:p]}_{body[p + 1 :]}") for p in NEAR_POSITIONS])
        return out

    def names(self, values: Iterable[str | None]) -> list[str | None]:
        return self.many(None if v is None else normal_name(v) for v in values)

    def accounts(self, values: Iterable[str | None]) -> list[str | None]:
        return self.many(None if v is None else "".join(v.split()) for v in values)


def id18(value: str) -> str:
    """The 18-digit form of an ID number: a 15-digit legacy number (region, YYMMDD,
    sequence) gets the century 19 and its check character; others are upper-cased."""
    text = value.strip().upper()
    if len(text) == 15 and text.isdigit():
        body = text[:6] + "19" + text[6:]
        return body + id_check_char(body)
    return text


def id_birth_dates(values: Iterable[str | None]) -> list[date | None]:
    """The birth date written in each ID (18-digit form), None if missing or not a date:
    a list entry's birth date for the linkage (the lists hold no other)."""
    out: list[date | None] = []
    for value in values:
        text = None if value is None else id18(value)
        ok = text is not None and len(text) == 18 and text[6:14].isdigit()
        out.append(birth_date(text) if ok and text is not None else None)
    return out


def normal_name(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split())
