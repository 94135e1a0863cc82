"""Reconciling bank returns as services: import a return file, cancel, status (DESIGN §5).

``import_return`` reads a return file (refused whole if malformed, before anything is
written), matches each line to an instruction (EndToEndId; batch and 序号; account,
amount and name when unique), decides what each line does (``ledger.outcomes``) and, in
one database transaction: records the file, posts ONE ledger transaction with a pair of
postings per resolved instruction (each naming it), records every line's outcome and
every anomaly (posted nowhere), moves instruction statuses and batch states forward, and
adds audit events. The same file again (SHA-256) changes nothing and says so. A file
none of whose lines matches anything of this ledger is refused (nothing recorded).

Ledger entries (docs/ledger.md, "Reconciliation"), all in the file's transaction
(type ``reconciliation``, idempotency key ``return:{sha256}``):

- settled: Dr ``Liabilities:Payable:{p}:{r}`` / Cr ``Assets:BankClearing:{bank}``
- failed:  Dr ``Assets:Treasury:{p}`` / Cr ``Assets:BankClearing:{bank}`` (payable open)
- returned after settlement: Dr ``Assets:Treasury:{p}`` / Cr ``Liabilities:Payable:{p}:{r}``

The parts: ``reconciliation_lines`` (the file's lines as staged),
``reconciliation_decisions`` (what each line does), ``reconciliation_cancel`` (``cancel``
and ``status``, re-exported here), ``db.reconciliation_store`` (the staged lines,
matching), ``db.reconciliation_writes`` (the writes), ``db.reconciliation_status``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from ledger import accounts
from ledger.batches import BatchState
from ledger.db import batches_store, fund_lineage
from ledger.db import reconciliation_status as status_reads
from ledger.db import reconciliation_store as store
from ledger.db import reconciliation_writes as writes
from ledger.db.events import record_event
from ledger.db.journal_staged import post_staged, staging_table
from ledger.db.state_digest import scope_name
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.files.returns import (
    Anomaly,
    ReturnProfile,
    county_return_profiles,
    file_sha256,
    read_return,
)
from ledger.journal import StagedTransaction
from ledger.reconciliation_cancel import Cancelled, cancel, find_instruction, status
from ledger.reconciliation_decisions import (
    EXCEPTION_KINDS,
    OUTCOMES,
    POSTINGS,
    Work,
    decide_lines,
    names,
    stage_decisions,
)
from ledger.reconciliation_lines import line_columns, reason_rows, said, transaction_lines

__all__ = ["Cancelled", "ImportResult", "cancel", "find_instruction", "import_return", "status"]


@dataclass(frozen=True)
class ImportResult:
    return_file_id: int
    file_name: str
    format: str
    sha256: str
    already_imported: bool
    line_count: int
    settled: int
    failed: int
    returned: int
    pending: int
    exceptions: int
    transaction_id: int | None = None
    imported_by: str = ""
    imported_at: datetime | None = None
    posted_fen: dict[str, int] = field(default_factory=dict)
    batch_states: dict[int, str] = field(default_factory=dict)
    # The Business Application Header's message id (AppHdr/BizMsgIdr), if any.
    header_message_id: str | None = None


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def import_return(
    uow: UnitOfWork,
    path: str | Path,
    *,
    operator: str,
    profile: ReturnProfile | str | None = None,
    county_path: str | Path | None = None,
    batch_id: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import one bank return file; see the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise LedgerError(f"{path}: no such file")
    connection = uow.connection
    earlier = store.find_file(connection, file_sha256(path))
    if earlier is not None:
        return _already(earlier)
    parsed = read_return(path, profile, profiles=county_return_profiles(county_path))
    batches_store.lock_batches(connection)
    store.prepare(connection)
    earlier = store.find_file(connection, parsed.sha256)  # imported meanwhile
    if earlier is not None:
        return _already(earlier)
    if batch_id is not None and not store.batch_exists(connection, batch_id):
        raise LedgerError(f"batch {batch_id} does not exist (see `ledger batch list`)")
    moment = _now(now)
    lines, names_our_batch = transaction_lines(connection, parsed)
    source = _Source(
        parsed.path.name,
        parsed.format,
        parsed.sha256,
        parsed.anomalies,
        parsed.header_message_id,
    )
    del parsed  # the frame's columns go to the database; only a few stay, as numpy
    try:
        store.stage_lines(connection, line_columns(lines), reason_rows(lines))
        says = said(lines)
        e2e_missing = lines["end_to_end_id"].isna().to_numpy(dtype=bool)
        line_amount = lines["amount_fen"].fillna(0).to_numpy(dtype=np.int64)
        del lines
        store.match_lines(connection, batch_id)
        work = decide_lines(connection, source.format, says, e2e_missing, line_amount)
        if not names_our_batch and not (work.instruction >= 0).any():
            raise _matches_nothing(path, len(says))
        result = _record(connection, source, work, operator, today or date.today(), moment)
    finally:
        store.drop_staged(connection)
    uow.commit()
    return result


@dataclass(frozen=True)
class _Source:
    """What the import keeps of a parsed file once its lines are staged."""

    name: str
    format: str
    sha256: str
    anomalies: tuple[Anomaly, ...]
    header_message_id: str | None


def _matches_nothing(path: Path, lines: int) -> LedgerError:
    """A file none of whose lines names anything of this ledger is refused: recording it
    would fill the exceptions with another county's payments (or a wrong file) and
    say nothing about ours."""
    return LedgerError(
        f"{path}: refused, nothing recorded: none of its {lines} line(s) matches a payment "
        "instruction of this ledger (no EndToEndId we issued; no batch line or account, "
        "amount and name of ours); is it another county's return, or the answer to "
        "another ledger's file?"
    )


def _already(row: Any) -> ImportResult:
    return ImportResult(
        return_file_id=int(row.id),
        file_name=row.file_name,
        format=row.format,
        sha256=row.file_sha256,
        already_imported=True,
        line_count=int(row.line_count),
        settled=int(row.settled_count),
        failed=int(row.failed_count),
        returned=0,
        pending=int(row.pending_count),
        exceptions=int(row.exception_count),
        imported_by=row.imported_by,
        imported_at=row.imported_at,
    )


# --- recording -----------------------------------------------------------------------


def _post(
    connection: sa.Connection,
    source: _Source,
    work: Work,
    counts: dict[str, int],
    file_id: int,
    operator: str,
    today: date,
) -> int:
    """The file's one ledger transaction: two postings per decision with a posting,
    built in SQL from the staged decisions (see ``writes.stage_postings``)."""
    batch_accounts = [
        (b, accounts.payable(program, ""), accounts.treasury(program), accounts.bank_clearing(bank))
        for b, (_, program, bank) in sorted(work.batch_state.items())
    ]
    writes.stage_postings(connection, staging_table(connection), batch_accounts)
    recorded = post_staged(
        connection,
        StagedTransaction(
            type="reconciliation",
            effective_date=today,
            description=(
                f"bank return {source.name} ({source.format}, file {file_id}): "
                f"{counts['settled']} settled, {counts['failed']} failed, "
                f"{counts['returned']} returned; sha256 {source.sha256}"
            ),
            operator=operator,
            idempotency_key=f"return:{source.sha256}",
        ),
    )
    if recorded.created:
        # Returned money goes back to the allocations it was drawn from.
        fund_lineage.give_back_returns(connection, recorded.id)
    return recorded.id


def _record(
    connection: sa.Connection,
    source: _Source,
    work: Work,
    operator: str,
    today: date,
    moment: datetime,
) -> ImportResult:
    counts = {o: int((work.outcome == OUTCOMES.index(o)).sum()) for o in OUTCOMES}
    line_exceptions = int((work.exception_kind >= 0).sum())
    exceptions = line_exceptions + len(source.anomalies)
    totals = {
        p.value: int(work.amount_fen[work.posting == i].sum()) for i, p in enumerate(POSTINGS)
    }
    n = len(work.outcome)
    file_id = writes.insert_return_file(
        connection,
        file_name=source.name,
        file_sha256=source.sha256,
        format=source.format,
        line_count=n,
        settled_count=counts["settled"],
        failed_count=counts["failed"] + counts["returned"],
        pending_count=counts["pending"],
        exception_count=exceptions,
        imported_by=operator,
        imported_at=moment,
        header_message_id=source.header_message_id,
    )
    stage_decisions(connection, work)
    transaction_id = None
    if (work.posting >= 0).any():
        transaction_id = _post(connection, source, work, counts, file_id, operator, today)
    writes.write_outcomes(connection, file_id, transaction_id, moment)
    _write_exceptions(connection, work, file_id, moment)
    matched_batches = sorted({int(b) for b in np.unique(work.batch) if b >= 0})
    writes.insert_exceptions(
        connection,
        [
            {
                "return_file_id": file_id,
                "line": a.line,
                "element": a.element or None,
                "kind": "control_total",
                "batch_id": matched_batches[0] if len(matched_batches) == 1 else None,
                "detail": f"{a.kind.value}: {a.message}",
                "created_at": moment,
            }
            for a in source.anomalies
        ],
    )
    writes.update_statuses(connection, moment)
    touched = _touched_batches(work)
    changed = _advance_batches(connection, touched, operator, moment)
    record_event(
        connection,
        operator=operator,
        action="reconcile.imported",
        subject_type="return_file",
        subject_id=file_id,
        scopes=[scope_name("batch", b) for b in touched],
        detail={
            "file": source.name,
            "format": source.format,
            "sha256": source.sha256,
            "lines": n,
            **counts,
            "exceptions": exceptions,
            "transaction_id": transaction_id,
            "posted_fen": totals,
            "batches": changed,
            **({"header_message_id": source.header_message_id} if source.header_message_id else {}),
        },
    )
    return ImportResult(
        return_file_id=file_id,
        file_name=source.name,
        format=source.format,
        sha256=source.sha256,
        already_imported=False,
        line_count=n,
        settled=counts["settled"],
        failed=counts["failed"],
        returned=counts["returned"],
        pending=counts["pending"],
        exceptions=exceptions,
        transaction_id=transaction_id,
        imported_by=operator,
        imported_at=moment,
        posted_fen=totals,
        batch_states={int(k): v for k, v in changed.items()},
        header_message_id=source.header_message_id,
    )


def _write_exceptions(
    connection: sa.Connection, work: Work, file_id: int, moment: datetime
) -> None:
    rows = np.flatnonzero(work.exception_kind >= 0)
    if not len(rows):
        return
    writes.write_exceptions(
        connection,
        file_id,
        zip(
            rows.tolist(),
            names(work.exception_kind[rows], EXCEPTION_KINDS),
            [None if i < 0 else i for i in work.instruction[rows].tolist()],
            [None if b < 0 else b for b in work.batch[rows].tolist()],
            [work.detail[r] for r in rows.tolist()],
            strict=True,
        ),
        moment,
    )


def _touched_batches(work: Work) -> list[int]:
    resolved = work.new_status >= 0
    return sorted(int(b) for b in np.unique(work.batch[resolved]) if b >= 0)


def _advance_batches(
    connection: sa.Connection, batch_ids: list[int], operator: str, moment: datetime
) -> dict[int, str]:
    """exported -> partially_reconciled -> reconciled (no instruction pending and the
    batch's clearing at 0). States only move forward; returns {batch: new state}."""
    if not batch_ids:
        return {}
    pending = status_reads.pending_counts(connection, batch_ids)
    # The journal's word on the clearing balance (the guard that nothing is left in
    # transit); only needed, and only computed, for batches with nothing pending.
    clearing = status_reads.batch_clearing(
        connection, [b for b in batch_ids if not pending.get(b, 0)]
    )
    changed: dict[int, str] = {}
    for batch_id in batch_ids:
        batch = batches_store.load_batch(connection, batch_id)
        if batch.state not in (BatchState.EXPORTED, BatchState.PARTIALLY_RECONCILED):
            continue
        done = pending.get(batch_id, 0) == 0 and clearing.get(batch_id, 1) == 0
        new = BatchState.RECONCILED if done else BatchState.PARTIALLY_RECONCILED
        if new == batch.state:
            continue
        batches_store.set_state(connection, batch_id, state=new.value)
        record_event(
            connection,
            operator=operator,
            action=f"batch.{new.value}",
            subject_type="batch",
            subject_id=batch_id,
            detail={
                "previous_state": batch.state,
                "pending": pending.get(batch_id, 0),
                "clearing_fen": clearing.get(batch_id),
                "at": moment.isoformat(),
            },
        )
        changed[batch_id] = new.value
    return changed
