"""Postings joined with transactions and accounts, as CSV or Parquet, in chunks.

Amounts stay integer fen (``amount_fen``, int64); a ``amount_yuan`` text column is added
to CSV for people reading it in a spreadsheet. Text cells that a spreadsheet would run
as a formula are neutralised in CSV.
"""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ledger.cells import neutralise_cell
from ledger.db.journal_queries import FLAT_COLUMNS, flat_postings_query
from ledger.money import format_yuan

_TEXT = ("type", "description", "operator", "idempotency_key", "account")


def _chunks(connection: sa.Connection, as_of: date | None, size: int) -> Iterator[pd.DataFrame]:
    result = connection.execution_options(yield_per=size).execute(flat_postings_query(as_of))
    for partition in result.partitions(size):
        frame = pd.DataFrame(partition, columns=list(FLAT_COLUMNS))
        frame["amount_fen"] = frame["amount_fen"].astype("int64")
        frame["instruction_id"] = frame["instruction_id"].astype("Int64")
        frame["reverses_id"] = frame["reverses_id"].astype("Int64")
        frame["effective_date"] = frame["effective_date"].astype(str)
        frame["recorded_at"] = frame["recorded_at"].astype(str)
        yield frame


def export_csv(
    connection: sa.Connection, path: Path, *, as_of: date | None = None, size: int = 100_000
) -> int:
    rows = 0
    temporary = path.with_name(path.name + ".part")
    with temporary.open("w", encoding="utf-8-sig", newline="") as out:
        header = True
        for frame in _chunks(connection, as_of, size):
            frame["amount_yuan"] = [format_yuan(int(v)) for v in frame["amount_fen"]]
            for column in _TEXT:
                frame[column] = [neutralise_cell(v) for v in frame[column]]
            frame.to_csv(out, index=False, header=header)
            header = False
            rows += len(frame)
        if header:
            pd.DataFrame(columns=[*FLAT_COLUMNS, "amount_yuan"]).to_csv(out, index=False)
    temporary.replace(path)
    return rows


def export_parquet(
    connection: sa.Connection, path: Path, *, as_of: date | None = None, size: int = 200_000
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 0
    writer = None
    temporary = path.with_name(path.name + ".part")
    try:
        for frame in _chunks(connection, as_of, size):
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(temporary, table.schema)
            writer.write_table(table)
            rows += len(frame)
        if writer is None:
            empty = pd.DataFrame(columns=list(FLAT_COLUMNS))
            pq.write_table(pa.Table.from_pandas(empty, preserve_index=False), temporary)
    finally:
        if writer is not None:
            writer.close()
    temporary.replace(path)
    return rows
