"""The reference-list import as a service (``ledger refdata import``, the demo).

- ``read_list``: the file's rows validated (``ledger.refdata``: columns, cells,
  duplicates), every problem naming file, row and column; an error refuses the file
  (``ValidationError``) before anything is written;
- ``import_list`` (a unit of work): the rows stored as a new import of their kind
  (``ledger.db.refdata_store``, SQL only), the audit event ``refdata.imported``, the
  commit (none for a dry run: the unit of work rolls back). A file imported before as
  the same kind raises ``AlreadyImported``.
"""

from pathlib import Path

import pandas as pd

from ledger import refdata
from ledger.db import refdata_store
from ledger.db.events import record_event
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.tabular import Problems, open_table


def read_list(
    path: Path,
    kind: str,
    *,
    encoding: str | None = None,
    default_source: str | None = None,
) -> tuple[pd.DataFrame, Problems]:
    """The list's rows, validated, and its problems (warnings only: errors raise)."""
    table = open_table(path, refdata.COLUMNS[kind], encoding=encoding)
    problems = Problems(str(path))
    frames = [
        refdata.validate_chunk(kind, chunk, table.labels, problems, default_source=default_source)
        for chunk in table.chunks()
    ]
    if not frames:
        raise LedgerError(f"{path}: the file has a header but no rows; nothing was changed")
    rows = pd.concat(frames, ignore_index=True)
    refdata.duplicate_problems(kind, rows, table.labels, problems)
    problems.raise_if_errors(f"the {kind} import was")
    return rows, problems


def import_list(
    uow: UnitOfWork,
    kind: str,
    rows: pd.DataFrame,
    *,
    file_name: str,
    file_sha256: str,
    operator: str,
    dry_run: bool = False,
) -> int:
    """Store ``rows`` (from ``read_list``) as a new import of ``kind``, record the event
    and commit (not for a dry run); return the import id."""
    import_id = refdata_store.store(
        uow.connection,
        kind,
        rows,
        file_name=file_name,
        file_sha256=file_sha256,
        operator=operator,
    )
    record_event(
        uow.connection,
        operator=operator,
        action="refdata.imported",
        subject_type="refdata_import",
        subject_id=import_id,
        detail={"kind": kind, "file": file_name, "sha256": file_sha256, "rows": len(rows)},
    )
    if not dry_run:
        uow.commit()
    return import_id
