"""The manifest beside a bank file, and `batch verify-file`: is a file exactly one
this ledger exported."""

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger.db import batches_store as store
from ledger.errors import LedgerError
from ledger.files.profiles import Profile
from ledger.money import format_yuan
from ledger.payments.moments import as_utc


def manifest_document(
    batch: Any,
    *,
    profile: Profile,
    name: str,
    sha256: str,
    exported_at: datetime,
    exported_by: str,
    funding_id: int,
    byte_count: int,
    payable: tuple[int, int],
    chain_head: dict[str, Any] | None = None,
) -> bytes:
    """The manifest beside a bank file; deterministic like the file itself. ``count``
    and the amounts are the file's (held payments excluded); ``held_count`` says how
    many of the batch's instructions are held out of it."""
    count, total = payable
    document = {
        "batch": int(batch.id),
        "kind": batch.kind,
        "period": batch.period,
        "program": batch.program,
        "bank": batch.bank,
        "profile": profile.name,
        "file": name,
        "bytes": byte_count,
        "sha256": sha256,
        "count": count,
        "amount_fen_total": total,
        "amount_total": format_yuan(total),
        "held_count": int(batch.instruction_count) - count,
        "created_by": batch.created_by,
        "approved_by": batch.approved_by,
        "exported_by": exported_by,
        "exported_at": exported_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "funding_transaction_id": funding_id,
    }
    if chain_head is not None:
        # The chains' heads the export left (its audit event and the funding transaction):
        # `ledger audit verify --checkpoint MANIFEST` proves the ledger still holds them.
        document["chain_head"] = chain_head
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def atomic_write(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    batch_id: int | None = None


def verify_file(connection: sa.Connection, path: str | Path) -> Verification:
    """Whether ``path`` is exactly (byte for byte) a bank file this ledger exported."""
    import hashlib

    path = Path(path)
    if not path.is_file():
        raise LedgerError(f"{path}: no such file")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
    batch = store.find_by_sha256(connection, sha)
    if batch is not None:
        return Verification(
            True,
            f"OK: {path.name} is exactly the bank file of batch {batch.id} "
            f"({batch.period} {batch.program} {batch.bank}, {batch.instruction_count} payments, "
            f"{format_yuan(int(batch.amount_fen_total), thousands=True)} yuan), exported "
            f"{as_utc(batch.exported_at):%Y-%m-%d %H:%M:%S} UTC by {batch.exported_by}, "
            f"approved by {batch.approved_by}; sha256 {sha}",
            int(batch.id),
        )
    batch = store.find_by_file_name(connection, path.name)
    if batch is not None:
        return Verification(
            False,
            f"{path.name} is NOT the file exported for batch {batch.id}: its sha256 is {sha}, "
            f"the export recorded {batch.file_sha256}. It was changed after export.",
            int(batch.id),
        )
    return Verification(False, f"{path.name} was not exported by this ledger (sha256 {sha})")
