"""What each line of a return does, decided for a whole file at once (no SQL text here
but the store's; the rules are ``ledger.outcomes``).

The matched instructions come back from the store as integer columns; the rules depend
on a few discrete inputs, so ``decide_lines`` evaluates ``outcomes.decide`` once per
distinct combination and maps the result onto every line (10^6 lines: a handful of
calls). ``stage_decisions`` writes each line's decision as a (line, code) pair.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ledger.batches import EXPORTED_STATES, InstructionStatus
from ledger.db import reconciliation_store as store
from ledger.money import format_yuan
from ledger.outcomes import Decision, Posting, decide
from ledger.reconciliation_lines import SAID


@dataclass
class Work:
    """Per line (aligned with the staged lines, -1: none), the instruction and what
    happens, as small integer codes: positions in ``OUTCOMES``, ``Posting``,
    ``STATUSES`` and ``EXCEPTION_KINDS``; ``detail`` per line with an exception."""

    instruction: np.ndarray  # int64, -1: unmatched
    batch: np.ndarray  # int64, -1: none
    amount_fen: np.ndarray  # int64: the matched instruction's amount
    outcome: np.ndarray  # int8
    posting: np.ndarray  # int8
    new_status: np.ndarray  # int8
    exception_kind: np.ndarray  # int8
    detail: dict[int, str]
    batch_state: dict[int, tuple[str, str, str]]  # batch: (state, program, bank)


OUTCOMES = ("settled", "failed", "returned", "pending")
POSTINGS = tuple(Posting)
EXCEPTION_KINDS = (
    "unmatched",
    "batch_not_exported",
    "amount_mismatch",
    "account_mismatch",
    "duplicate_confirmation",
)


def _matched(connection: sa.Connection, n: int) -> dict[str, np.ndarray]:
    """The matched instruction of each line as int64 numpy columns (-1: unmatched)."""
    info = {name: np.full(n, -1, dtype=np.int64) for name in store.MATCHED_COLUMNS[1:]}
    for rows in store.matched_instructions(connection, STATUSES):
        chunk = np.array(rows, dtype=np.int64)
        del rows
        at = chunk[:, 0]
        for index, name in enumerate(store.MATCHED_COLUMNS[1:], 1):
            info[name][at] = chunk[:, index]
    return info


def decide_lines(
    connection: sa.Connection,
    file_format: str,
    said: np.ndarray,
    e2e_missing: np.ndarray,
    line_amount: np.ndarray,
) -> Work:
    """What each line does (see ``ledger.outcomes``); ``said`` as positions in
    ``SAID``, ``line_amount`` the line's amount (0 if it states none)."""
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
        kind[rows] = EXCEPTION_KINDS.index(name)
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
            raise ValueError(f"instruction statuses outside {STATUSES}")
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
                (status[at] * len(SAID) + said_code[pick]) * 8
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
                outcome[rows_k] = OUTCOMES.index(d.outcome)
                if d.posting is not None:
                    posting[rows_k] = POSTINGS.index(d.posting)
                if d.status is not None:
                    # reconciliation_writes.update_statuses sets only these two
                    if d.status not in ("settled", "failed"):
                        raise ValueError(f"a line cannot make an instruction {d.status}")
                    new_status[rows_k] = STATUSES.index(d.status)
                    status[at_k] = STATUSES.index(d.status)
                if d.outcome == "settled":
                    flags[at_k, 1] = True
                if d.outcome == "returned":
                    flags[at_k, 2] = True
                    if d.posting is not None:
                        flags[at_k, 0] = True
    return Work(instruction, batch, own_amount, outcome, posting, new_status, kind, detail, batches)


STATUSES = tuple(s.value for s in InstructionStatus)


def _decision(key: int, file_format: str) -> Decision:
    """The rule for an encoded combination (see ``_decide``)."""
    flags, rest = key % 8, key // 8
    return decide(
        STATUSES[rest // len(SAID)],
        SAID[rest % len(SAID)],
        returned_before=bool(flags & 4),
        settled_same_format=bool(flags & 2),
        returned_same_format=bool(flags & 1),
        file_format=file_format,
    )


def stage_decisions(connection: sa.Connection, work: Work) -> None:
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
    sizes = (len(OUTCOMES) + 1, len(POSTINGS) + 1, len(STATUSES) + 1)
    code = (parts[0].astype(np.int64) + 1) * sizes[1] * sizes[2]
    code += (parts[1].astype(np.int64) + 1) * sizes[2] + (parts[2] + 1)
    codes = [
        (
            int(c),
            OUTCOMES[int(c) // (sizes[1] * sizes[2]) - 1],
            _name(int(c) // sizes[2] % sizes[1], tuple(p.value for p in POSTINGS)),
            _name(int(c) % sizes[2], STATUSES),
        )
        for c in np.unique(code)
    ]
    store.stage_decisions(connection, codes, zip(rows.tolist(), code.tolist(), strict=True))


def _name(shifted: int, names: tuple[str, ...]) -> str | None:
    """A packed part back to its name (0: none)."""
    return None if shifted == 0 else names[shifted - 1]


def names(codes: np.ndarray, names: tuple[str, ...]) -> list[str | None]:
    """Codes (positions in ``names``, -1: none) as the names, None for -1."""
    return np.array([*names, None], dtype=object)[codes].tolist()
