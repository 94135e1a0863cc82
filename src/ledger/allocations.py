"""Allocations (拨付) as services: record one, import a file of them.

- ``record`` (a connection): the allocation's entry (``ledger.funds.Allocation``) posted
  through the journal's write path, its accounts opened, and its ``allocations`` row
  (``ledger.db.funds_store``, SQL only); the same allocation again posts nothing;
- ``allocate`` (a unit of work): ``record`` and the commit (``ledger funds allocate``,
  the demo);
- ``read_file``: every line of an allocations file checked (``ledger.funds``), a line
  twice in the file an error; any error refuses the file (``ValidationError``, naming
  file, row and column) before anything is posted;
- ``import_file`` (a unit of work): the lines recorded, the audit event
  ``allocations.imported`` and the commit (none for a dry run, nor for a file whose
  lines were all recorded before).
"""

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ledger.county import County
from ledger.db import funds_store
from ledger.db.accounts_store import open_accounts
from ledger.db.events import record_event
from ledger.db.journal_store import Recorded, post
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.funds import COLUMNS, Allocation, make_allocation


@dataclass(frozen=True)
class Imported:
    """What an allocations file did: lines posted (their total) and lines recorded before."""

    created: int
    skipped: int
    total_fen: int


def record(
    connection: sa.Connection, allocation: Allocation, *, operator: str, county: County
) -> Recorded:
    """Post one allocation (idempotent: the same allocation again posts nothing)."""
    tx = allocation.transaction(operator, county)
    open_accounts(
        connection,
        tx.postings.accounts,
        treasury_negative_programs=[
            p.code for p in county.programs.values() if p.treasury_may_go_negative
        ],
    )
    recorded = post(connection, tx)
    if recorded.created:
        funds_store.insert_allocation(
            connection,
            transaction_id=recorded.id,
            source=allocation.source,
            program=allocation.program,
            doc_number=allocation.doc_number,
            amount_fen=allocation.amount_fen,
            allocation_date=allocation.allocation_date,
            note=allocation.note,
        )
    return recorded


def allocate(uow: UnitOfWork, allocation: Allocation, *, operator: str, county: County) -> Recorded:
    """Record one allocation and commit."""
    recorded = record(uow.connection, allocation, operator=operator, county=county)
    uow.commit()
    return recorded


def read_file(path: Path, county: County, *, encoding: str | None = None) -> list[Allocation]:
    """The allocations of a CSV or XLSX file (``ledger.funds.COLUMNS``), every line
    valid and none twice, in file order."""
    from ledger.tabular import ROW, open_table  # pandas: loaded when a file is read

    table = open_table(path, COLUMNS, encoding=encoding)
    items: list[Allocation] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for chunk in table.chunks():
        for line in chunk.to_dict("records"):
            row = int(line[ROW])
            allocation, found = make_allocation(
                county,
                source=line["source"],
                program=line["program"],
                amount=line["amount"],
                doc=line["doc"],
                day=line["date"],
                note=line["note"],
            )
            problems += [f"{path}, row {row}, column {table.labels[k]}: {m}" for k, m in found]
            if allocation is None:
                continue
            key = allocation.idempotency_key
            if key in seen:
                problems.append(
                    f"{path}, row {row}: the same allocation as row {seen[key]} (duplicate line)"
                )
                continue
            seen[key] = row
            items.append(allocation)
    if problems:
        raise ValidationError(
            f"{path}: {len(problems)} error(s): the allocations were refused, nothing posted:",
            problems,
        )
    if not items:
        raise LedgerError(f"{path}: the file has a header but no rows; nothing was posted")
    return items


def import_file(
    uow: UnitOfWork,
    items: list[Allocation],
    county: County,
    *,
    file_name: str,
    file_sha256: str,
    operator: str,
    dry_run: bool = False,
) -> Imported:
    """Record ``items`` (from ``read_file``); with at least one posted, record the
    file's event and commit (not for a dry run). Lines recorded before are skipped."""
    created = skipped = total = 0
    for allocation in items:
        recorded = record(uow.connection, allocation, operator=operator, county=county)
        if recorded.created:
            created += 1
            total += allocation.amount_fen
        else:
            skipped += 1
    if created == 0:
        # Every line was recorded before: "already imported", and no audit event for
        # a file that changed nothing (the unit of work rolls back).
        return Imported(created, skipped, total)
    record_event(
        uow.connection,
        operator=operator,
        action="allocations.imported",
        subject_type="file",
        subject_id=file_sha256,
        detail={"file": file_name, "posted": created, "skipped": skipped, "total_fen": total},
    )
    if not dry_run:
        uow.commit()
    return Imported(created, skipped, total)
