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
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ledger import accounts
from ledger.batches import EXPORTED_STATES, BatchState, InstructionStatus
from ledger.db import batches_store
from ledger.db import reconciliation_store as store
from ledger.db.events import record_event
from ledger.db.journal_store import StagedTransaction, post, post_staged, staging_table
from ledger.db.schema import payment_instructions, recipients
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.files.returns import (
    Anomaly,
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
    store.prepare(connection)
    earlier = store.find_file(connection, parsed.sha256)  # imported meanwhile
    if earlier is not None:
        return _already(earlier)
    if batch_id is not None and not store.batch_exists(connection, batch_id):
        raise LedgerError(f"batch {batch_id} does not exist (see `ledger batch list`)")
    moment = _now(now)
    lines = _transaction_lines(connection, parsed)
    source = _Source(parsed.path.name, parsed.format, parsed.sha256, parsed.anomalies)
    del parsed  # the frame's columns go to the database; only a few stay, as numpy
    try:
        store.stage_lines(connection, _line_columns(lines), _reason_rows(lines))
        said = _said(lines)
        e2e_missing = lines["end_to_end_id"].isna().to_numpy(dtype=bool)
        line_amount = lines["amount_fen"].fillna(0).to_numpy(dtype=np.int64)
        del lines
        store.match_lines(connection, batch_id)
        work = _decide(connection, source.format, said, e2e_missing, line_amount)
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
    """settled / failed / returned / pending per line, as positions in ``_SAID``."""
    status = _codes(lines["status"].astype(str).to_numpy(dtype=object), _SAID)
    returned = lines["is_return"].to_numpy(dtype=bool) & (status == _SAID.index("failed"))
    return np.where(returned, _SAID.index("returned"), status)


def _line_columns(lines: pd.DataFrame) -> dict[str, list[Any]]:
    """Each line's values as staged (``store.LINE_COLUMNS``); blank text is NULL. The
    序号 only matters (matching by batch and line) where the line has no EndToEndId."""
    has_e2e = lines["end_to_end_id"].notna()
    return {
        "end_to_end_id": _column(lines["end_to_end_id"]),
        "sequence": _integers(
            lines["sequence"].mask(has_e2e) if has_e2e.any() else lines["sequence"]
        ),
        "account": _column(lines["account"]),
        "holder_name": _column(lines["holder_name"]),
        "amount_fen": _integers(lines["amount_fen"]),
        "line": lines["line"].to_numpy(dtype=np.int64).tolist(),
        "element": _column(lines["element"]),
    }


def _reason_rows(lines: pd.DataFrame) -> Iterable[tuple[int, str | None, str | None]]:
    """(seq, reason code, reason text) of the lines that give either."""
    given = (lines["reason_code"].fillna("") != "") | (lines["reason_text"].fillna("") != "")
    rows = np.flatnonzero(given.to_numpy(dtype=bool))
    return zip(
        rows.tolist(),
        _column(lines["reason_code"].iloc[rows]),
        _column(lines["reason_text"].iloc[rows]),
        strict=True,
    )


def _column(column: pd.Series) -> list[str | None]:
    """A text column's values, with <NA> and "" as None."""
    values = np.array(column.to_numpy(dtype=object, na_value=cast(Any, None)), dtype=object)
    if len(values):
        values[values == ""] = None
    return values.tolist()


def _integers(column: pd.Series) -> list[int | None]:
    """An integer column's values as Python ints, with <NA> as None."""
    if column.dtype == np.int64:
        return column.to_numpy().tolist()
    if isinstance(column.dtype, pd.Int64Dtype):
        return column.to_numpy(dtype=object, na_value=cast(Any, None)).tolist()
    return [None if pd.isna(v) else int(v) for v in column.to_numpy(dtype=object)]


# --- decisions -----------------------------------------------------------------------


@dataclass
class _Work:
    """Per line (aligned with the staged lines, -1: none), the instruction and what
    happens, as small integer codes: positions in ``_OUTCOMES``, ``Posting``,
    ``_STATUSES`` and ``_EXCEPTION_KINDS``; ``detail`` per line with an exception."""

    instruction: np.ndarray  # int64, -1: unmatched
    batch: np.ndarray  # int64, -1: none
    amount_fen: np.ndarray  # int64: the matched instruction's amount
    outcome: np.ndarray  # int8
    posting: np.ndarray  # int8
    new_status: np.ndarray  # int8
    exception_kind: np.ndarray  # int8
    detail: dict[int, str]
    batch_state: dict[int, tuple[str, str, str]]  # batch: (state, program, bank)


_OUTCOMES = ("settled", "failed", "returned", "pending")
_POSTINGS = tuple(Posting)
_EXCEPTION_KINDS = (
    "unmatched",
    "batch_not_exported",
    "amount_mismatch",
    "account_mismatch",
    "duplicate_confirmation",
)


def _matched(connection: sa.Connection, n: int) -> dict[str, np.ndarray]:
    """The matched instruction of each line as int64 numpy columns (-1: unmatched)."""
    info = {name: np.full(n, -1, dtype=np.int64) for name in store.MATCHED_COLUMNS[1:]}
    for rows in store.matched_instructions(connection, _STATUSES):
        chunk = np.array(rows, dtype=np.int64)
        del rows
        at = chunk[:, 0]
        for index, name in enumerate(store.MATCHED_COLUMNS[1:], 1):
            info[name][at] = chunk[:, index]
    return info


def _decide(
    connection: sa.Connection,
    file_format: str,
    said: np.ndarray,
    e2e_missing: np.ndarray,
    line_amount: np.ndarray,
) -> _Work:
    """What each line does (see ``ledger.outcomes``); ``said`` as positions in
    ``_SAID``, ``line_amount`` the line's amount (0 if it states none)."""
    n = len(said)
    info = _matched(connection, n)
    instruction = info["instruction_id"]
    batch = info["batch_id"]
    state = info["state"]
    outcome = np.full(n, -1, dtype=np.int8)
    posting = np.full(n, -1, dtype=np.int8)
    new_status = np.full(n, -1, dtype=np.int8)
    kind = np.full(n, -1, dtype=np.int8)
    detail: dict[int, str] = {}

    def exception(rows: np.ndarray, name: str, texts: Iterable[str]) -> None:
        kind[rows] = _EXCEPTION_KINDS.index(name)
        detail.update(zip(rows.tolist(), texts, strict=True))

    unmatched = np.flatnonzero(instruction < 0)
    exception(
        unmatched,
        "unmatched",
        [
            "no instruction matches this line (no EndToEndId; account, amount and name match "
            "no single instruction)"
            if missing
            else "no instruction has this EndToEndId"
            for missing in e2e_missing[unmatched].tolist()
        ],
    )
    open_ = instruction >= 0
    batches = {
        int(b): (str(state), str(program), str(bank))
        for b, state, program, bank in store.batch_columns(
            connection, np.unique(batch[batch >= 0]).tolist()
        )
    }
    exported = {s.value for s in EXPORTED_STATES}
    not_exported_batches = [b for b, (state, _, _) in batches.items() if state not in exported]
    not_exported = np.flatnonzero(open_ & np.isin(batch, not_exported_batches))
    exception(
        not_exported,
        "batch_not_exported",
        [
            f"batch {b} is {batches[b][0]}: its file was never exported"
            for b in batch[not_exported].tolist()
        ],
    )
    open_[not_exported] = False
    own_amount = info["amount_fen"]
    wrong_amount = np.flatnonzero(open_ & (state & 2 > 0))
    exception(
        wrong_amount,
        "amount_mismatch",
        [
            f"the line says {format_yuan(int(a))} yuan, the instruction is {format_yuan(int(b))}"
            for a, b in zip(
                line_amount[wrong_amount].tolist(), own_amount[wrong_amount].tolist(), strict=True
            )
        ],
    )
    open_[wrong_amount] = False
    wrong_account = np.flatnonzero(open_ & (state & 1 > 0))
    exception(
        wrong_account,
        "account_mismatch",
        ["the line names another account than the instruction"] * len(wrong_account),
    )
    open_[wrong_account] = False

    # The state machine, in rounds: round k takes each instruction's k-th line. The rule
    # depends on a few discrete inputs: it is evaluated once per distinct combination.
    rows = np.flatnonzero(open_)
    if len(rows):
        ids = instruction[rows]
        unique_ids, first_index = np.unique(ids, return_index=True)
        status = state[rows][first_index] // 4
        if (status < 0).any():  # programmer error: a status outside the known ones
            raise ValueError(f"instruction statuses outside {_STATUSES}")
        flags = np.zeros((len(unique_ids), 3), dtype=bool)  # returned, settled/returned same
        earlier = store.earlier_outcomes(connection, file_format)
        if earlier:
            known = np.array(earlier, dtype=np.int64)
            where = np.minimum(np.searchsorted(unique_ids, known[:, 0]), len(unique_ids) - 1)
            ours = unique_ids[where] == known[:, 0]
            flags[where[ours]] = known[ours, 1:].astype(bool)
        position = np.searchsorted(unique_ids, ids)
        said_code = said[rows]
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
                d = _decision(int(k), file_format)
                chosen = key == k
                rows_k, at_k = here[chosen], at[chosen]
                if d.exception is not None:
                    exception(rows_k, "duplicate_confirmation", [d.exception] * len(rows_k))
                    continue
                assert d.outcome is not None
                outcome[rows_k] = _OUTCOMES.index(d.outcome)
                if d.posting is not None:
                    posting[rows_k] = _POSTINGS.index(d.posting)
                if d.status is not None:
                    if d.status not in ("settled", "failed"):  # store.update_statuses
                        raise ValueError(f"a line cannot make an instruction {d.status}")
                    new_status[rows_k] = _STATUSES.index(d.status)
                    status[at_k] = _STATUSES.index(d.status)
                if d.outcome == "settled":
                    flags[at_k, 1] = True
                if d.outcome == "returned":
                    flags[at_k, 2] = True
                    if d.posting is not None:
                        flags[at_k, 0] = True
    return _Work(
        instruction, batch, own_amount, outcome, posting, new_status, kind, detail, batches
    )


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


def _stage_decisions(connection: sa.Connection, work: _Work) -> None:
    """Each line with an outcome, staged as (seq, code): the code says the outcome, the
    posting and, only on the last line of an instruction that sets one (it decides), the
    new status."""
    rows = np.flatnonzero(work.outcome >= 0)
    ids = work.instruction[rows]
    setting = np.flatnonzero(work.new_status[rows] >= 0)
    # The last status-setting line of each instruction: first of the reversed order.
    _, last_reversed = np.unique(ids[setting][::-1], return_index=True)
    deciding = np.zeros(len(rows), dtype=bool)
    deciding[setting[len(setting) - 1 - last_reversed]] = True
    status = np.where(deciding, work.new_status[rows], -1).astype(np.int64)
    # Each part is -1 (none) or a position: shifted by one, they pack into one code.
    parts = (work.outcome[rows], work.posting[rows], status)
    sizes = (len(_OUTCOMES) + 1, len(_POSTINGS) + 1, len(_STATUSES) + 1)
    code = (parts[0].astype(np.int64) + 1) * sizes[1] * sizes[2]
    code += (parts[1].astype(np.int64) + 1) * sizes[2] + (parts[2] + 1)
    codes = [
        (
            int(c),
            _OUTCOMES[int(c) // (sizes[1] * sizes[2]) - 1],
            _name(int(c) // sizes[2] % sizes[1], tuple(p.value for p in _POSTINGS)),
            _name(int(c) % sizes[2], _STATUSES),
        )
        for c in np.unique(code)
    ]
    store.stage_decisions(connection, codes, zip(rows.tolist(), code.tolist(), strict=True))


def _name(shifted: int, names: tuple[str, ...]) -> str | None:
    """A packed part back to its name (0: none)."""
    return None if shifted == 0 else names[shifted - 1]


def _names(codes: np.ndarray, names: tuple[str, ...]) -> list[str | None]:
    """Codes (positions in ``names``, -1: none) as the names, None for -1."""
    return np.array([*names, None], dtype=object)[codes].tolist()


def _post(
    connection: sa.Connection,
    source: _Source,
    work: _Work,
    counts: dict[str, int],
    file_id: int,
    operator: str,
    today: date,
) -> int:
    """The file's one ledger transaction: two postings per decision with a posting,
    built in SQL from the staged decisions (see ``store.stage_postings``)."""
    batch_accounts = [
        (b, accounts.payable(program, ""), accounts.treasury(program), accounts.bank_clearing(bank))
        for b, (_, program, bank) in sorted(work.batch_state.items())
    ]
    store.stage_postings(connection, staging_table(connection), batch_accounts)
    return post_staged(
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
    ).id


def _record(
    connection: sa.Connection,
    source: _Source,
    work: _Work,
    operator: str,
    today: date,
    moment: datetime,
) -> ImportResult:
    counts = {o: int((work.outcome == _OUTCOMES.index(o)).sum()) for o in _OUTCOMES}
    line_exceptions = int((work.exception_kind >= 0).sum())
    exceptions = line_exceptions + len(source.anomalies)
    totals = {
        p.value: int(work.amount_fen[work.posting == i].sum()) for i, p in enumerate(_POSTINGS)
    }
    n = len(work.outcome)
    file_id = store.insert_return_file(
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
    )
    _stage_decisions(connection, work)
    transaction_id = None
    if (work.posting >= 0).any():
        transaction_id = _post(connection, source, work, counts, file_id, operator, today)
    store.write_outcomes(connection, file_id, transaction_id, moment)
    _write_exceptions(connection, work, file_id, moment)
    matched_batches = sorted({int(b) for b in np.unique(work.batch) if b >= 0})
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
            for a in source.anomalies
        ],
    )
    store.update_statuses(connection, moment)
    changed = _advance_batches(connection, _touched_batches(work), operator, moment)
    record_event(
        connection,
        operator=operator,
        action="reconcile.imported",
        subject_type="return_file",
        subject_id=file_id,
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
    )


def _write_exceptions(
    connection: sa.Connection, work: _Work, file_id: int, moment: datetime
) -> None:
    rows = np.flatnonzero(work.exception_kind >= 0)
    if not len(rows):
        return
    store.write_exceptions(
        connection,
        file_id,
        zip(
            rows.tolist(),
            _names(work.exception_kind[rows], _EXCEPTION_KINDS),
            [None if i < 0 else i for i in work.instruction[rows].tolist()],
            [None if b < 0 else b for b in work.batch[rows].tolist()],
            [work.detail[r] for r in rows.tolist()],
            strict=True,
        ),
        moment,
    )


def _touched_batches(work: _Work) -> list[int]:
    resolved = work.new_status >= 0
    return sorted(int(b) for b in np.unique(work.batch[resolved]) if b >= 0)


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
