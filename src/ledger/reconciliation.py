"""Reconciling bank returns as services: import a return file, cancel, status (DESIGN §5).

``import_return`` reads a return file (refused whole if malformed, before anything is
written), matches each line to an instruction (EndToEndId; batch and 序号; account,
amount and name when unique), decides what each line does (``ledger.outcomes``) and, in
one database transaction: records the file, posts ONE ledger transaction with a pair of
postings per resolved instruction (each naming it), records every line's outcome and
every anomaly (posted nowhere), moves instruction statuses and batch states forward, and
adds audit events. The same file again (SHA-256) changes nothing and says so.

Ledger entries (docs/ledger.md, "Reconciliation"), all in the file's transaction
(type ``reconciliation``, idempotency key ``return:{sha256}``):

- settled: Dr ``Liabilities:Payable:{p}:{r}`` / Cr ``Assets:BankClearing:{bank}``
- failed:  Dr ``Assets:Treasury:{p}`` / Cr ``Assets:BankClearing:{bank}`` (payable open)
- returned after settlement: Dr ``Assets:Treasury:{p}`` / Cr ``Liabilities:Payable:{p}:{r}``

``cancel`` posts Dr ``Liabilities:Payable:{p}:{r}`` / Cr ``Expenses:Assistance:{p}:{t}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ledger import accounts
from ledger.batches import EXPORTED_STATES, BatchState, InstructionStatus
from ledger.db import batches_store
from ledger.db import reconciliation_store as store
from ledger.db.events import record_event
from ledger.db.journal_store import post
from ledger.db.schema import payment_instructions, recipients
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.files.returns import (
    ReturnFile,
    ReturnProfile,
    Scope,
    county_return_profiles,
    file_sha256,
    read_return,
)
from ledger.journal import NewTransaction, PostingColumns
from ledger.money import format_yuan
from ledger.outcomes import Decision, Posting, decide

# Our pain.001 MsgId (and PmtInfId): county + YYYYMM + "B" + batch number (8 digits).
_MESSAGE_ID = re.compile(r"^\d{12}B(\d{8})$")


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
    earlier = store.find_file(connection, parsed.sha256)  # imported meanwhile
    if earlier is not None:
        return _already(earlier)
    if batch_id is not None and not store.batch_exists(connection, batch_id):
        raise LedgerError(f"batch {batch_id} does not exist (see `ledger batch list`)")
    moment = _now(now)
    lines = _transaction_lines(connection, parsed)
    store.stage_lines(connection, _line_rows(lines))
    store.match_lines(connection, batch_id)
    work = _decide(connection, parsed, lines)
    try:
        result = _record(connection, parsed, lines, work, operator, today or date.today(), moment)
    finally:
        store.drop_staged(connection)
    uow.commit()
    return result


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


# --- lines ---------------------------------------------------------------------------


def _transaction_lines(connection: sa.Connection, parsed: ReturnFile) -> pd.DataFrame:
    """The file's transaction lines, plus (pain.002) one line per instruction the report
    does not list that takes its payment-information or group status (settled or
    failed only: a group status of 'accepted' changes nothing)."""
    frame = parsed.lines
    scope = frame["scope"].astype(str)
    tx = frame[scope == Scope.TRANSACTION.value]
    summary = frame[(scope != Scope.TRANSACTION.value) & (frame["status"] != "pending")]
    if summary.empty:
        return tx.reset_index(drop=True)
    listed = set(tx["end_to_end_id"].dropna())
    extra: list[pd.DataFrame] = []
    # A PmtInf status wins over the group status (fallback_statuses' rule); our pain.001
    # has one PmtInf per batch, so the batch is the unit either way.
    ordered = summary.assign(
        _rank=(summary["scope"].astype(str) == Scope.GROUP.value).astype(int)
    ).sort_values("_rank", kind="stable")
    done: set[int] = set()
    for row in ordered.drop(columns=["_rank"]).to_dict("records"):
        pmt_inf, msg = row["original_pmt_inf_id"], row["original_msg_id"]
        message = pmt_inf if isinstance(pmt_inf, str) else None
        message = message or (msg if isinstance(msg, str) else "")
        found = _MESSAGE_ID.match(message or "")
        batch = int(found.group(1)) if found else None
        if batch is not None and batch in done:
            continue
        if batch is None or not store.batch_exists(connection, batch):
            # Not one of our messages: an unmatched line of its own.
            extra.append(pd.DataFrame([row]))
            continue
        done.add(batch)
        unlisted = [e for _, e in store.batch_instruction_ids(connection, batch) if e not in listed]
        if not unlisted:
            continue
        copies = pd.DataFrame([row] * len(unlisted))
        copies["end_to_end_id"] = unlisted
        copies["amount_fen"] = pd.array([None] * len(unlisted), dtype="Int64")
        extra.append(copies)
    if not extra:
        return tx.reset_index(drop=True)
    combined = pd.concat([tx, *extra])
    return combined.reset_index(drop=True)


def _said(lines: pd.DataFrame) -> np.ndarray:
    """settled / failed / returned / pending per line."""
    status = lines["status"].astype(str).to_numpy(dtype=object)
    returned = lines["is_return"].to_numpy(dtype=bool) & (status == "failed")
    return np.where(returned, "returned", status)


def _line_rows(lines: pd.DataFrame) -> Iterable[tuple[Any, ...]]:
    """What matching needs of each line: (seq, EndToEndId, 序号, account, name, amount)."""
    every = np.arange(len(lines))
    sequence = [None if pd.isna(v) else int(v) for v in lines["sequence"].to_numpy(dtype=object)]
    return zip(
        every.tolist(),
        _column(lines, "end_to_end_id", every),
        sequence,
        _column(lines, "account", every),
        _column(lines, "holder_name", every),
        _amounts(lines, every),
        strict=True,
    )


# --- decisions -----------------------------------------------------------------------


@dataclass
class _Work:
    """Per line (aligned with the lines frame): the instruction and what happens."""

    instruction: np.ndarray  # int64, -1: unmatched
    batch: np.ndarray  # int64, -1: none
    outcome: np.ndarray  # object: settled/failed/returned/pending/None
    posting: np.ndarray  # object: Posting or None
    new_status: np.ndarray  # object
    exception_kind: np.ndarray  # object
    detail: np.ndarray  # object
    info: dict[str, np.ndarray]  # matched instruction columns, aligned with the lines


def _matched(connection: sa.Connection, n: int) -> dict[str, np.ndarray]:
    """The matched instruction of each line as plain numpy columns (no per-row objects
    beyond the driver's; batch columns looked up once per batch)."""
    info = {
        "instruction_id": np.full(n, -1, dtype=np.int64),
        "batch_id": np.full(n, -1, dtype=np.int64),
        "amount_fen": np.zeros(n, dtype=np.int64),
        "status": np.full(n, None, dtype=object),
        "account_number": np.full(n, None, dtype=object),
        "recipient_key": np.full(n, None, dtype=object),
        "batch_state": np.full(n, None, dtype=object),
        "program": np.full(n, None, dtype=object),
        "bank": np.full(n, None, dtype=object),
    }
    rows = store.matched_instructions(connection)
    if not rows:
        return info
    columns = list(zip(*rows, strict=True))
    del rows
    seq = np.array(columns[0], dtype=np.int64)
    # A line matched twice (EndToEndId of one, account of another) keeps the first.
    _, first = np.unique(seq, return_index=True)
    at = seq[first]
    for name, values in zip(store.MATCHED_COLUMNS[1:], columns[1:], strict=True):
        column = info[name]
        column[at] = np.array(values, dtype=column.dtype)[first]
    batch = info["batch_id"]
    for batch_id, state, program, bank in store.batch_columns(
        connection, np.unique(batch[batch >= 0]).tolist()
    ):
        here = batch == batch_id
        info["batch_state"][here] = state
        info["program"][here] = program
        info["bank"][here] = bank
    return info


def _decide(connection: sa.Connection, parsed: ReturnFile, lines: pd.DataFrame) -> _Work:
    n = len(lines)
    info = _matched(connection, n)
    instruction = info["instruction_id"]
    batch = info["batch_id"]
    outcome = np.full(n, None, dtype=object)
    posting = np.full(n, None, dtype=object)
    new_status = np.full(n, None, dtype=object)
    kind = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)

    said = _said(lines)
    e2e = lines["end_to_end_id"].astype(object).to_numpy()
    unmatched = instruction < 0
    kind[unmatched] = "unmatched"
    detail[unmatched] = np.where(
        pd.isna(e2e[unmatched]).astype(bool),
        "no instruction matches this line (no EndToEndId; account, amount and name match "
        "no single instruction)",
        "no instruction has this EndToEndId",
    )
    open_ = ~unmatched
    state = info["batch_state"]
    not_exported = open_ & ~np.isin(state, [s.value for s in EXPORTED_STATES])
    kind[not_exported] = "batch_not_exported"
    detail[not_exported] = [
        f"batch {int(b)} is {s}: its file was never exported"
        for b, s in zip(batch[not_exported], state[not_exported], strict=True)
    ]
    open_ &= ~not_exported
    line_amount = lines["amount_fen"].astype("Int64")
    stated = line_amount.notna().to_numpy(dtype=bool)
    given = line_amount.fillna(0).to_numpy(dtype=np.int64)
    own_amount = info["amount_fen"]
    wrong_amount = open_ & stated & (given != own_amount)
    kind[wrong_amount] = "amount_mismatch"
    detail[wrong_amount] = [
        f"the line says {format_yuan(int(a))} yuan, the instruction is {format_yuan(int(b))}"
        for a, b in zip(
            given[wrong_amount].tolist(), own_amount[wrong_amount].tolist(), strict=True
        )
    ]
    open_ &= ~wrong_amount
    line_account = lines["account"]
    account_differs = line_account.notna().to_numpy(dtype=bool) & (
        line_account.fillna("").to_numpy(dtype=object) != info["account_number"]
    )
    wrong_account = open_ & account_differs
    kind[wrong_account] = "account_mismatch"
    detail[wrong_account] = "the line names another account than the instruction"
    open_ &= ~wrong_account

    # The state machine, in rounds: round k takes each instruction's k-th line. The rule
    # depends on a few discrete inputs: it is evaluated once per distinct combination.
    rows = np.flatnonzero(open_)
    if len(rows):
        ids = instruction[rows]
        unique_ids, first_index = np.unique(ids, return_index=True)
        status = _codes(info["status"][rows][first_index], _STATUSES)
        flags = np.zeros((len(unique_ids), 3), dtype=bool)  # returned, settled/returned same
        earlier = store.earlier_outcomes(connection, parsed.format)
        if earlier:
            known = np.array(earlier, dtype=np.int64)
            where = np.minimum(np.searchsorted(unique_ids, known[:, 0]), len(unique_ids) - 1)
            ours = unique_ids[where] == known[:, 0]
            flags[where[ours]] = known[ours, 1:].astype(bool)
        position = np.searchsorted(unique_ids, ids)
        said_code = _codes(said[rows], _SAID)
        order = pd.Series(ids).groupby(ids).cumcount().to_numpy()
        for round_ in range(int(order.max()) + 1):
            pick = order == round_
            here, at = rows[pick], position[pick]
            key = (
                (status[at] * len(_SAID) + said_code[pick]) * 8
                + flags[at, 0] * 4
                + flags[at, 1] * 2
                + flags[at, 2]
            )
            for k in np.unique(key):
                d = _decision(int(k), parsed.format)
                chosen = key == k
                rows_k, at_k = here[chosen], at[chosen]
                if d.exception is not None:
                    kind[rows_k] = "duplicate_confirmation"
                    detail[rows_k] = d.exception
                    continue
                outcome[rows_k] = d.outcome
                posting[rows_k] = d.posting
                if d.status is not None:
                    new_status[rows_k] = d.status
                    status[at_k] = _STATUSES.index(d.status)
                if d.outcome == "settled":
                    flags[at_k, 1] = True
                if d.outcome == "returned":
                    flags[at_k, 2] = True
                    if d.posting is not None:
                        flags[at_k, 0] = True
    return _Work(instruction, batch, outcome, posting, new_status, kind, detail, info)


_STATUSES = tuple(s.value for s in InstructionStatus)
_SAID = ("settled", "failed", "returned", "pending")


def _codes(values: np.ndarray, categories: tuple[str, ...]) -> np.ndarray:
    codes = pd.Categorical(values, categories=list(categories)).codes.astype(np.int64)
    if (codes < 0).any():  # programmer error: a status outside the known ones
        raise ValueError(f"unknown values {set(values[codes < 0])} (known: {categories})")
    return codes


def _decision(key: int, file_format: str) -> Decision:
    """The rule for an encoded combination (see ``_decide``)."""
    flags, rest = key % 8, key // 8
    return decide(
        _STATUSES[rest // len(_SAID)],
        _SAID[rest % len(_SAID)],
        returned_before=bool(flags & 4),
        settled_same_format=bool(flags & 2),
        returned_same_format=bool(flags & 1),
        file_format=file_format,
    )


# --- recording -----------------------------------------------------------------------


def _postings(lines: pd.DataFrame, work: _Work) -> tuple[PostingColumns, dict[str, int]]:
    """Two postings per resolved instruction, each naming it, ordered by account name (so
    10^6 postings append to the journal's indexes instead of landing all over them)."""
    rows = np.flatnonzero(pd.notna(work.posting))
    if not len(rows):
        return PostingColumns([], [], []), {}
    info = {name: column[rows] for name, column in work.info.items()}
    kinds = np.array([str(k) for k in work.posting[rows]], dtype=object)
    program = info["program"]
    payable = "Liabilities:Payable:" + program + ":" + info["recipient_key"]
    treasury = "Assets:Treasury:" + program
    clearing = "Assets:BankClearing:" + info["bank"]
    debit = np.where(kinds == Posting.SETTLE.value, payable, treasury)
    credit = np.where(kinds == Posting.RETURN.value, payable, clearing)
    amounts = info["amount_fen"]
    ids = work.instruction[rows]
    names = np.concatenate([debit, credit])
    fen = np.concatenate([amounts, -amounts])
    instruction_ids = np.concatenate([ids, ids])
    codes, _ = pd.factorize(names, sort=True)
    order = np.lexsort((instruction_ids, codes))
    totals = {p.value: int(amounts[kinds == p.value].sum()) for p in Posting}
    return (
        PostingColumns(names[order].tolist(), fen[order].tolist(), instruction_ids[order].tolist()),
        totals,
    )


def _record(
    connection: sa.Connection,
    parsed: ReturnFile,
    lines: pd.DataFrame,
    work: _Work,
    operator: str,
    today: date,
    moment: datetime,
) -> ImportResult:
    counts = {
        o: int((work.outcome == o).sum()) for o in ("settled", "failed", "returned", "pending")
    }
    line_exceptions = int(pd.notna(work.exception_kind).sum())
    exceptions = line_exceptions + len(parsed.anomalies)
    postings, totals = _postings(lines, work)
    file_id = store.insert_return_file(
        connection,
        file_name=parsed.path.name,
        file_sha256=parsed.sha256,
        format=parsed.format,
        line_count=len(lines),
        settled_count=counts["settled"],
        failed_count=counts["failed"] + counts["returned"],
        pending_count=counts["pending"],
        exception_count=exceptions,
        imported_by=operator,
        imported_at=moment,
    )
    transaction_id = None
    if len(postings):
        transaction_id = post(
            connection,
            NewTransaction(
                type="reconciliation",
                effective_date=today,
                description=(
                    f"bank return {parsed.path.name} ({parsed.format}, file {file_id}): "
                    f"{counts['settled']} settled, {counts['failed']} failed, "
                    f"{counts['returned']} returned; sha256 {parsed.sha256}"
                ),
                operator=operator,
                postings=postings,
                idempotency_key=f"return:{parsed.sha256}",
            ),
        ).id
    n = len(lines)
    _write_outcomes(connection, lines, work, file_id, transaction_id, moment)
    _write_exceptions(connection, lines, work, file_id, moment)
    matched_batches = sorted({int(b) for b in work.batch.tolist() if b >= 0})
    store.insert_exceptions(
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
            for a in parsed.anomalies
        ],
    )
    _update_statuses(connection, lines, work, moment)
    changed = _advance_batches(connection, _touched_batches(work), operator, moment)
    record_event(
        connection,
        operator=operator,
        action="reconcile.imported",
        subject_type="return_file",
        subject_id=file_id,
        detail={
            "file": parsed.path.name,
            "format": parsed.format,
            "sha256": parsed.sha256,
            "lines": n,
            **counts,
            "exceptions": exceptions,
            "transaction_id": transaction_id,
            "posted_fen": totals,
            "batches": changed,
        },
    )
    return ImportResult(
        return_file_id=file_id,
        file_name=parsed.path.name,
        format=parsed.format,
        sha256=parsed.sha256,
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
    )


def _column(lines: pd.DataFrame, name: str, rows: np.ndarray) -> list[Any]:
    """Values of an optional column at ``rows``, with <NA> as None."""
    values = lines[name].to_numpy(dtype=object)[rows]
    return [None if v is None or v is pd.NA or v == "" else v for v in values.tolist()]


def _amounts(lines: pd.DataFrame, rows: np.ndarray) -> list[int | None]:
    amounts = lines["amount_fen"]
    if str(amounts.dtype) == "int64":
        return amounts.to_numpy()[rows].tolist()
    return [None if pd.isna(v) else int(v) for v in amounts.to_numpy(dtype=object)[rows]]


def _write_outcomes(
    connection: sa.Connection,
    lines: pd.DataFrame,
    work: _Work,
    file_id: int,
    transaction_id: int | None,
    moment: datetime,
) -> None:
    rows = np.flatnonzero(pd.notna(work.outcome))
    if not len(rows):
        return
    outcome = work.outcome[rows]
    failed = np.isin(outcome, ["failed", "returned"])
    codes = [
        c if f and isinstance(c, str) else None
        for c, f in zip(
            lines["reason_code"].to_numpy(dtype=object)[rows].tolist(), failed.tolist(), strict=True
        )
    ]
    posted = pd.notna(work.posting[rows]).tolist()
    stamp = store.db_time(connection, moment)
    n = len(rows)
    store.write_outcomes(
        connection,
        zip(
            work.instruction[rows].tolist(),
            [file_id] * n,
            lines["line"].to_numpy()[rows].tolist(),
            _column(lines, "element", rows),
            outcome.tolist(),
            codes,
            _column(lines, "reason_text", rows),
            _amounts(lines, rows),
            [transaction_id if p else None for p in posted],
            [stamp] * n,
            strict=True,
        ),
    )


def _write_exceptions(
    connection: sa.Connection, lines: pd.DataFrame, work: _Work, file_id: int, moment: datetime
) -> None:
    rows = np.flatnonzero(pd.notna(work.exception_kind))
    if not len(rows):
        return
    stamp = store.db_time(connection, moment)
    n = len(rows)
    store.write_exceptions(
        connection,
        zip(
            [file_id] * n,
            lines["line"].to_numpy()[rows].tolist(),
            _column(lines, "element", rows),
            work.exception_kind[rows].tolist(),
            _column(lines, "end_to_end_id", rows),
            [None if i < 0 else i for i in work.instruction[rows].tolist()],
            [None if b < 0 else b for b in work.batch[rows].tolist()],
            _column(lines, "account", rows),
            _column(lines, "holder_name", rows),
            _amounts(lines, rows),
            work.detail[rows].tolist(),
            [stamp] * n,
            strict=True,
        ),
    )


def _update_statuses(
    connection: sa.Connection, lines: pd.DataFrame, work: _Work, moment: datetime
) -> None:
    rows = np.flatnonzero(pd.notna(work.new_status))
    if not len(rows):
        return
    frame = pd.DataFrame(
        {
            "instruction_id": work.instruction[rows],
            "status": work.new_status[rows],
            "reason_code": lines["reason_code"].to_numpy(dtype=object)[rows],
            "reason_text": lines["reason_text"].to_numpy(dtype=object)[rows],
        }
    )
    # The last line of an instruction decides its status; a failure without a code is NARR.
    frame = frame.drop_duplicates("instruction_id", keep="last")
    settled = frame[frame["status"] == "settled"]
    failed = frame[frame["status"] == "failed"]
    store.update_statuses(
        connection,
        settled["instruction_id"].astype(np.int64).tolist(),
        zip(
            failed["instruction_id"].astype(np.int64).tolist(),
            [c if isinstance(c, str) and c else "NARR" for c in failed["reason_code"].tolist()],
            [t if isinstance(t, str) and t else None for t in failed["reason_text"].tolist()],
            strict=True,
        ),
        moment,
    )


def _touched_batches(work: _Work) -> list[int]:
    resolved = pd.notna(work.new_status)
    return sorted({int(b) for b in work.batch[resolved].tolist() if b >= 0})


def _advance_batches(
    connection: sa.Connection, batch_ids: list[int], operator: str, moment: datetime
) -> dict[int, str]:
    """exported -> partially_reconciled -> reconciled (no instruction pending and the
    batch's clearing at 0). States only move forward; returns {batch: new state}."""
    if not batch_ids:
        return {}
    pending = store.pending_counts(connection, batch_ids)
    # The journal's word on the clearing balance (the guard that nothing is left in
    # transit); only needed, and only computed, for batches with nothing pending.
    clearing = store.batch_clearing(connection, [b for b in batch_ids if not pending.get(b, 0)])
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


# --- cancel ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cancelled:
    instruction_id: int
    end_to_end_id: str
    batch_id: int
    amount_fen: int
    transaction_id: int


def find_instruction(connection: sa.Connection, reference: str) -> Any:
    """An instruction by id or EndToEndId."""
    pi = payment_instructions
    query = sa.select(pi, recipients.c.key.label("recipient_key")).join(
        recipients, recipients.c.id == pi.c.recipient_id
    )
    text = reference.strip()
    row = connection.execute(query.where(pi.c.end_to_end_id == text)).first()
    if row is None and text.isdigit() and len(text) < 18:
        row = connection.execute(query.where(pi.c.id == int(text))).first()
    if row is None:
        raise LedgerError(f"no payment instruction {reference!r} (give its id or EndToEndId)")
    return row


def cancel(
    uow: UnitOfWork,
    reference: str,
    *,
    operator: str,
    reason: str,
    today: date | None = None,
    now: datetime | None = None,
) -> Cancelled:
    """Cancel a failed instruction's entitlement (e.g. the recipient died): the payable
    is closed against the assistance expense and nothing more will be paid for it."""
    if not reason.strip():
        raise LedgerError("say why the payment is cancelled (--reason)")
    connection = uow.connection
    batches_store.lock_batches(connection)
    row = find_instruction(connection, reference)
    if row.status != InstructionStatus.FAILED:
        hint = {
            "pending": "its outcome is unknown: wait for the bank (cancelling could pay twice)",
            "settled": "it was paid; an improper payment is recovered, not cancelled",
            "reissued": "it was re-issued: cancel the re-issued instruction instead",
            "cancelled": "it is already cancelled",
            "voided": "its batch was voided",
        }.get(str(row.status), "")
        raise LedgerError(
            f"instruction {row.id} ({row.end_to_end_id}) is {row.status}: only a failed "
            f"instruction can be cancelled; {hint}"
        )
    batch = batches_store.load_batch(connection, int(row.batch_id))
    moment = _now(now)
    amount = int(row.amount_fen)
    payable = accounts.payable(batch.program, row.recipient_key)
    expense = accounts.assistance(batch.program, row.township)
    transaction_id = post(
        connection,
        NewTransaction(
            type="cancellation",
            effective_date=today or date.today(),
            description=(
                f"cancellation of instruction {row.id} ({row.end_to_end_id}, batch "
                f"{batch.id}, {batch.period} {batch.program}): {reason}"
            ),
            operator=operator,
            postings=PostingColumns([payable, expense], [amount, -amount], [row.id, row.id]),
            idempotency_key=f"instruction:{row.id}:cancel",
        ),
    ).id
    connection.execute(
        payment_instructions.update()
        .where(payment_instructions.c.id == row.id)
        .values(status=InstructionStatus.CANCELLED.value, cancelled_at=moment)
    )
    connection.execute(
        sa.text("UPDATE entitlements SET status = 'cancelled' WHERE id = :e AND status = 'open'"),
        {"e": int(row.entitlement_id)},
    )
    record_event(
        connection,
        operator=operator,
        action="instruction.cancelled",
        subject_type="payment_instruction",
        subject_id=int(row.id),
        detail={
            "reason": reason,
            "end_to_end_id": row.end_to_end_id,
            "batch": int(batch.id),
            "amount_fen": amount,
            "transaction_id": transaction_id,
            "bank_reason_code": row.reason_code,
        },
    )
    uow.commit()
    return Cancelled(int(row.id), row.end_to_end_id, int(batch.id), amount, transaction_id)


def status(connection: sa.Connection, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Per exported batch: counts and amounts per status and the clearing balance."""
    if batch_id is not None:
        batches_store.load_batch(connection, batch_id)  # refuses an unknown batch
    return store.batch_summaries(connection, None if batch_id is None else [batch_id])
