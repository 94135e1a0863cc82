"""A county's province extract for one period: set-based SQL into pandas, Parquet out.

Each table of ``ledger.province.schema.TABLES`` is one query over the county ledger (no
per-row reads), hashed column-wise and written with its Arrow schema to
``OUT/county=<code>/period=<YYYY-MM>/<table>.parquet`` (to a temporary name, then
renamed); ``manifest.json`` is written last, so a folder with a manifest is complete.
The journal is verified first: a county whose chain does not verify is not extracted.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from ledger.batches import parse_period
from ledger.db.verify import verify
from ledger.errors import LedgerError
from ledger.province.manifest import chain_head, write_manifest
from ledger.province.schema import CLEAR_COLUMNS, ID_POLICIES, TABLES, Hasher, id_birth_dates

_RECIPIENTS = "SELECT key, id_number, name, birth_date FROM recipients"
_ENROLMENTS = (
    "SELECT r.key, e.program, e.township, e.village, e.amount_fen, e.status, e.start_month,"
    " e.end_month, e.exit_date, e.account_number FROM enrolments e"
    " JOIN recipients r ON r.id = e.recipient_id WHERE e.valid_to_import IS NULL"
)
_INSTRUCTIONS = (
    "SELECT b.period, i.id, b.id AS batch_id, b.state, b.program, r.key, i.township,"
    " i.amount_fen, i.bank, i.account_number, i.end_to_end_id, i.status, i.reason_code,"
    " i.settled_at, i.failed_at FROM batches b"
    " JOIN payment_instructions i ON i.batch_id = b.id"
    " JOIN recipients r ON r.id = i.recipient_id WHERE b.period = :period"
)
_DEATHS = "SELECT id_number, name, death_date, source, import_id, row_no FROM ref_deaths"


def _latest(kind: str) -> str:
    return f"import_id = (SELECT MAX(id) FROM refdata_imports WHERE kind = '{kind}')"


_STAFF = (
    f"SELECT id_number, name, employer, import_id, row_no FROM ref_staff WHERE {_latest('staff')}"
)
_STAFF_ACCOUNTS = (
    f"SELECT id_number, account_number, import_id FROM ref_staff_accounts WHERE {_latest('staff')}"
)
_CADRES = (
    "SELECT cadre_id_number, employer, position, relative_id_number, relative_name, relation,"
    " filed,"
    f" import_id, row_no FROM ref_cadre_relatives WHERE {_latest('cadres')}"
)


@dataclass
class ExtractResult:
    folder: Path
    manifest: Path
    rows: dict[str, int]
    chain: dict[str, Any]


def _frame(connection: sa.Connection, sql: str, **params: Any) -> pd.DataFrame:
    return pd.read_sql_query(sa.text(sql), connection, params=params or None)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.date


def _stamps(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", utc=True)


def _clear(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in values]


def _linkage(hasher: Hasher, ids: pd.Series, names: pd.Series) -> dict[str, Any]:
    """A list entry's linkage columns, computed exactly as for recipients: ``id_key``,
    ``id_near``, ``name_key``, ``birth_date`` (read from the ID) and the clear ID."""
    numbers, clear_names = _clear(ids), _clear(names)
    return {
        "id_key": hasher.ids(numbers),
        "id_near": hasher.near(numbers),
        "name_key": hasher.names(clear_names),
        "birth_date": id_birth_dates(numbers),
        "id_number": numbers,
    }


def build_tables(
    connection: sa.Connection, county: str, period: str, hasher: Hasher, policy: str
) -> dict[str, pd.DataFrame]:
    """The extract's tables as DataFrames with the schema's columns."""
    r = _frame(connection, _RECIPIENTS)
    ids = r["id_number"].astype(str)
    recipients = pd.DataFrame(
        {
            "recipient_key": r["key"],
            "id_key": hasher.ids(ids),
            "id_near": hasher.near(ids),
            "name_key": hasher.names(r["name"].astype(str)),
            "birth_date": _dates(r["birth_date"]),
            "id_number": ids,
            "name": r["name"],
        }
    )
    e = _frame(connection, _ENROLMENTS)
    enrolments = pd.DataFrame(
        {
            "recipient_key": e["key"],
            "program": e["program"],
            "township": e["township"],
            "village": e["village"],
            "amount_fen": e["amount_fen"].astype("int64"),
            "status": e["status"],
            "start_month": e["start_month"],
            "end_month": e["end_month"],
            "exit_date": _dates(e["exit_date"]),
            "account_key": hasher.accounts(e["account_number"]),
            "account_number": e["account_number"],
        }
    )
    i = _frame(connection, _INSTRUCTIONS, period=period)
    instructions = pd.DataFrame(
        {
            "period": i["period"],
            "instruction_id": i["id"].astype("int64"),
            "batch_id": i["batch_id"].astype("int64"),
            "batch_state": i["state"],
            "program": i["program"],
            "recipient_key": i["key"],
            "township": i["township"],
            "amount_fen": i["amount_fen"].astype("int64"),
            "bank": i["bank"],
            "account_key": hasher.accounts(i["account_number"]),
            "account_number": i["account_number"],
            "end_to_end_id": i["end_to_end_id"],
            "status": i["status"],
            "reason_code": i["reason_code"],
            "settled_at": _stamps(i["settled_at"]),
            "failed_at": _stamps(i["failed_at"]),
        }
    )
    d = _frame(connection, _DEATHS)
    deaths = pd.DataFrame(
        {
            **_linkage(hasher, d["id_number"], d["name"]),
            "death_date": _dates(d["death_date"]),
            "source": d["source"],
            "import_id": d["import_id"],
            "row_no": d["row_no"],
        }
    )
    s = _frame(connection, _STAFF)
    staff = pd.DataFrame(
        {
            **_linkage(hasher, s["id_number"], s["name"]),
            "employer": s["employer"],
            "import_id": s["import_id"],
            "row_no": s["row_no"],
        }
    )
    a = _frame(connection, _STAFF_ACCOUNTS)
    staff_accounts = pd.DataFrame(
        {
            "id_key": hasher.ids(a["id_number"]),
            "account_key": hasher.accounts(a["account_number"]),
            "import_id": a["import_id"],
        }
    )
    c = _frame(connection, _CADRES)
    relative = _linkage(hasher, c["relative_id_number"], c["relative_name"])
    cadres = pd.DataFrame(
        {
            "cadre_id_key": hasher.ids(c["cadre_id_number"]),
            "employer": c["employer"],
            "position": c["position"],
            **{f"relative_{name}": values for name, values in relative.items()},
            "relation": c["relation"],
            "filed": c["filed"].astype(bool),
            "import_id": c["import_id"],
            "row_no": c["row_no"],
        }
    )
    tables = {
        "recipients": recipients,
        "enrolments": enrolments,
        "instructions": instructions,
        "deaths": deaths,
        "staff": staff,
        "staff_accounts": staff_accounts,
        "cadres": cadres,
    }
    for name, frame in tables.items():
        frame.insert(0, "county", county)
        if policy == "hashed":
            for column in CLEAR_COLUMNS.get(name, ()):
                frame[column] = None
    return tables


def write_table(frame: pd.DataFrame, schema: pa.Schema, path: Path) -> None:
    if frame.empty:  # no rows: the columns' dtypes say nothing (a list column is float64)
        table = schema.empty_table()
    else:
        table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
    temporary = path.with_name(path.name + ".part")
    pq.write_table(table, temporary, compression="zstd")
    temporary.replace(path)


def extract(
    connection: sa.Connection,
    *,
    county: str,
    period: str,
    out: Path,
    key: str,
    policy: str = "hashed",
    operator: str,
    now: datetime,
) -> ExtractResult:
    """Write the county's extract for ``period`` under ``out`` and return what it holds."""
    period = parse_period(period)
    if policy not in ID_POLICIES:
        raise LedgerError(f"ID policy {policy!r}: one of {', '.join(ID_POLICIES)}")
    try:
        hasher = Hasher(key)
    except ValueError as error:
        raise LedgerError(f"--id-key: {error}") from None
    report = verify(connection)
    if not report.ok:
        raise LedgerError(
            "the journal does not verify (run `ledger audit verify`): no extract is made of "
            f"a ledger whose chain is broken (first bad transaction: "
            f"{report.first_bad_transaction})"
        )
    folder = out / f"county={county}" / f"period={period}"
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / "manifest.json"
    if stale.exists():
        stale.unlink()  # the folder is complete again only when the new manifest is written
    tables = build_tables(connection, county, period, hasher, policy)
    for name, frame in tables.items():
        write_table(frame, TABLES[name], folder / f"{name}.parquet")
    chain = chain_head(connection)
    chain["verified"] = True
    manifest = write_manifest(
        folder,
        county=county,
        period=period,
        policy=policy,
        key_fingerprint=hasher.fingerprint,
        chain=chain,
        rows={name: len(frame) for name, frame in tables.items()},
        operator=operator,
        now=now,
    )
    return ExtractResult(folder, manifest, {n: len(f) for n, f in tables.items()}, chain)
