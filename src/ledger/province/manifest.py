"""The extract's manifest: what it holds, and the checks the province makes before use.

``manifest.json`` in ``county=<code>/period=<YYYY-MM>/`` names the format and schema
version, the county, the period, the ID policy, the extract key's fingerprint (extracts
hashed with different keys cannot be linked), the county's journal chain head (the last
transaction's id and hash: the county reports it separately, so the province can check
the extract came from the ledger as it stood), and per table its file, row count and
SHA-256. ``check_extracts`` refuses a folder whose files do not match.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import sqlalchemy as sa

from ledger.errors import LedgerError
from ledger.files_util import sha256_of
from ledger.province.schema import FORMAT, READABLE_VERSIONS, SCHEMA_VERSION, TABLES

MANIFEST = "manifest.json"


def chain_head(connection: sa.Connection) -> dict[str, Any]:
    """The journal's last transaction (id, hash) and how many there are."""
    row = connection.exec_driver_sql(
        "SELECT id, hash FROM transactions ORDER BY id DESC LIMIT 1"
    ).first()
    count = connection.exec_driver_sql("SELECT COUNT(*) FROM transactions").scalar_one()
    if row is None:
        return {"transaction_id": None, "hash": None, "transactions": 0}
    return {"transaction_id": int(row[0]), "hash": str(row[1]), "transactions": int(count)}


def write_manifest(
    folder: Path,
    *,
    county: str,
    period: str,
    policy: str,
    key_fingerprint: str,
    chain: dict[str, Any],
    rows: dict[str, int],
    operator: str,
    now: datetime,
) -> Path:
    document = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "county": county,
        "period": period,
        "id_policy": policy,
        "key_fingerprint": key_fingerprint,
        "created_at": now.isoformat(),
        "created_by": operator,
        "chain_head": chain,
        "tables": {
            name: {
                "file": f"{name}.parquet",
                "rows": rows[name],
                "sha256": sha256_of(folder / f"{name}.parquet"),
            }
            for name in TABLES
        },
    }
    path = folder / MANIFEST
    temporary = path.with_name(MANIFEST + ".part")
    temporary.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")
    temporary.replace(path)
    return path


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise LedgerError(f"{path}: not a readable manifest ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise LedgerError(f"{path}: not a province extract manifest (format {FORMAT!r})")
    if document.get("schema_version") not in READABLE_VERSIONS:
        raise LedgerError(
            f"{path}: schema_version {document.get('schema_version')!r}; this ledger reads "
            f"versions {', '.join(str(v) for v in READABLE_VERSIONS)}"
        )
    return document


def check_extracts(root: Path, period: str) -> list[dict[str, Any]]:
    """Every county's manifest for ``period`` under ``root``, each file checked against
    its SHA-256 and row count; refuses (one line naming the file) anything altered,
    missing, mixed keys or policies, or no extract at all."""
    if not root.is_dir():
        raise LedgerError(f"--extracts {root}: not a folder")
    paths = sorted(root.glob(f"county=*/period={period}/{MANIFEST}"))
    if not paths:
        raise LedgerError(f"{root}: no extract for period {period} (county=*/period={period}/)")
    manifests = []
    for path in paths:
        document = _read(path)
        folder = path.parent
        if document.get("period") != period or f"county={document.get('county')}" != (
            folder.parent.name
        ):
            raise LedgerError(
                f"{path}: names county {document.get('county')} period "
                f"{document.get('period')}, not its folder's"
            )
        for name in TABLES:
            entry = document.get("tables", {}).get(name)
            if entry is None:
                raise LedgerError(f"{path}: table {name} missing from the manifest")
            file = folder / entry["file"]
            if not file.is_file():
                raise LedgerError(f"{file}: missing (listed in {path})")
            if sha256_of(file) != entry["sha256"]:
                raise LedgerError(
                    f"{file}: SHA-256 does not match its manifest: the extract was altered "
                    "after it was written; refused"
                )
            if pq.ParquetFile(file).metadata.num_rows != entry["rows"]:
                raise LedgerError(f"{file}: row count differs from its manifest; refused")
        document["folder"] = str(folder)
        manifests.append(document)
    for field in ("key_fingerprint", "id_policy"):
        values = {m[field] for m in manifests}
        if len(values) > 1:
            raise LedgerError(
                f"the extracts of {period} differ in {field} ({', '.join(sorted(values))}): "
                "every county must extract with the same key and policy"
            )
    return manifests
