"""Held payments as services: screen new batches at ``batch run``, release a hold.

A held instruction is in its batch but is not accrued at approval, not written to the
bank file and not in its control totals or the funding (DESIGN §10 "Holds"). A checker
(not the batch's maker) may release a hold with a written reason while the batch is a
draft: it is then accrued and exported with the rest. Once the batch is approved its
held payments stay held; one whose cause is cleared (e.g. the card changed) is paid by
``batch reissue`` in a supplementary batch, screened again first.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ledger import screening
from ledger.batches import BatchState, InstructionStatus, period_start
from ledger.county import County
from ledger.db import batches_store, hold_reads
from ledger.db import screening_store as store
from ledger.db.events import record_event
from ledger.db.schema import hold_releases, instruction_holds, payment_instructions
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.files.profiles import available_profiles
from ledger.households import per_person_caps
from ledger.identity import mask
from ledger.money import format_yuan


def screen_batches(
    connection: sa.Connection,
    county: County,
    period: str,
    batch_ids: Sequence[int],
    now: datetime,
) -> int:
    """Hold the instructions of the new batches that a reason matches; return how many."""
    excludes: dict[str, set[str]] = {}
    for program in county.programs.values():
        for other in program.excludes:
            excludes.setdefault(program.code, set()).add(other)
            excludes.setdefault(other, set()).add(program.code)
    profiles = available_profiles(county.source_path or None)
    encodings = {}
    for code, bank in county.banks.items():
        profile = profiles.get(bank.profile)
        if profile is not None and profile.format != "pain001":
            encodings[code] = profile.encoding
    return store.screen(
        connection,
        batch_ids,
        period=period,
        period_start=period_start(period),
        now=now,
        excludes={p: sorted(o) for p, o in excludes.items()},
        # A one-off case's amount is capped per case when it is added (ledger.oneoff).
        # A household payment's cap per person is checked on its members' shares
        # (ledger.households.screen_members), not on the household's total.
        caps={
            p.code: p.monthly_cap_fen
            for p in county.programs.values()
            if (county.oneoff is None or p.code != county.oneoff.program)
            and p.code not in per_person_caps(county)
        },
        encodings=encodings,
        limits=county.screening,
    )


@dataclass(frozen=True)
class Released:
    batch_id: int
    instruction_ids: list[int]
    amount_fen_total: int


def release(
    uow: UnitOfWork,
    batch_id: int,
    instruction_ids: Collection[int],
    *,
    operator: str,
    reason: str,
    now: datetime | None = None,
) -> Released:
    """Release held instructions of a draft batch: they become pending (accrued at
    approval, in the bank file). Refused for the batch's maker, without a reason, for
    an instruction that is not held in this batch, or once the batch is approved."""
    connection = uow.connection
    batches_store.lock_batches(connection)
    batch = batches_store.load_batch(connection, batch_id, lock=True)
    if not reason.strip():
        raise LedgerError("say why the hold is released (--reason)")
    if not instruction_ids:
        raise LedgerError("name the held instructions to release (--instruction ID)")
    if operator == batch.created_by:
        raise LedgerError(
            f"batch {batch_id} was created by {batch.created_by}: a hold must be released "
            "by a different operator (a checker)"
        )
    if batch.state != BatchState.DRAFT:
        raise LedgerError(
            f"batch {batch_id} is {batch.state}: holds can be released only while the batch "
            "is a draft; once the cause is cleared, `ledger batch reissue` pays a held "
            "payment in a supplementary batch"
        )
    wanted = sorted({int(i) for i in instruction_ids})
    pi = payment_instructions
    rows = connection.execute(
        sa.select(pi.c.id, pi.c.status, pi.c.amount_fen).where(
            pi.c.batch_id == batch_id, pi.c.id.in_(wanted)
        )
    ).all()
    found = {int(r.id): r for r in rows}
    problems = [
        f"instruction {i}: not in batch {batch_id}"
        if i not in found
        else f"instruction {i}: is {found[i].status}, not held"
        for i in wanted
        if i not in found or found[i].status != InstructionStatus.HELD
    ]
    if problems:
        raise LedgerError(
            "nothing was released: " + "; ".join(problems) + " (see `ledger batch show`)"
        )
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    connection.execute(
        hold_releases.insert(),
        [
            {
                "instruction_id": i,
                "batch_id": batch_id,
                "reason": reason,
                "released_by": operator,
                "released_at": moment,
            }
            for i in wanted
        ],
    )
    connection.execute(
        pi.update()
        .where(pi.c.id.in_(wanted), pi.c.status == InstructionStatus.HELD)
        .values(status=InstructionStatus.PENDING.value)
    )
    reasons = connection.execute(
        sa.select(instruction_holds.c.instruction_id, instruction_holds.c.reason).where(
            instruction_holds.c.instruction_id.in_(wanted)
        )
    ).all()
    total = sum(int(found[i].amount_fen) for i in wanted)
    record_event(
        connection,
        operator=operator,
        action="batch.hold_released",
        subject_type="batch",
        subject_id=batch_id,
        detail={
            "instructions": wanted,
            "hold_reasons": sorted({f"{r.instruction_id}:{r.reason}" for r in reasons}),
            "reason": reason,
            "amount_fen_total": total,
        },
    )
    uow.commit()
    return Released(batch_id, wanted, total)


@dataclass(frozen=True)
class HeldGroup:
    """The held payments listed under one reason (their first in precedence order)."""

    reason: str
    title: str
    count: int
    amount_fen: int
    rows: list[dict[str, Any]]


def held_listing(connection: sa.Connection, batch_id: int, lang: str = "zh") -> list[HeldGroup]:
    """A batch's held payments (and the released ones, marked) grouped by first reason,
    each with every reason's evidence; IDs and cards masked."""
    by_instruction: dict[int, list[Any]] = {}
    for row in hold_reads.held_of_batch(connection, batch_id):
        by_instruction.setdefault(int(row.instruction_id), []).append(row)
    groups: dict[str, list[dict[str, Any]]] = {}
    for instruction_id, rows in by_instruction.items():
        first = rows[0]
        code = screening.first_reason([r.reason for r in rows])
        reasons = sorted(rows, key=lambda r: screening.PRECEDENCE[r.reason])
        groups.setdefault(code, []).append(
            {
                "instruction_id": instruction_id,
                "key": first.key,
                "name": first.name,
                "township": first.township,
                "village": first.village,
                "amount_fen": int(first.amount_fen),
                "amount": format_yuan(int(first.amount_fen), thousands=True),
                "account": f"{first.bank} {mask(first.account_number)}",
                "id_number": mask(first.id_number),
                "status": first.status,
                "reasons": [
                    {
                        "code": r.reason,
                        "title": _title(r.reason, lang),
                        "evidence": screening.evidence_text(r, lang),
                    }
                    for r in reasons
                ],
                "released": None
                if first.released_by is None
                else {
                    "by": first.released_by,
                    "at": str(first.released_at),
                    "reason": first.release_reason,
                },
            }
        )
    return [
        HeldGroup(
            code,
            _title(code, lang),
            len(rows),
            sum(r["amount_fen"] for r in rows),
            rows,
        )
        for code, rows in sorted(groups.items(), key=lambda g: screening.PRECEDENCE[g[0]])
    ]


def _title(code: str, lang: str) -> str:
    reason = screening.BY_CODE[code]
    return reason.title_en if lang == "en" else reason.title_zh


def period_screening(connection: sa.Connection, period: str, lang: str = "zh") -> dict[str, Any]:
    """What the screening stopped in a period, for the exception report: per reason
    (first in precedence) the payments still held and released, and every release with
    its reason and checker (the decisions auditors look at first)."""
    rows = hold_reads.holds_of_period(connection, period)
    reasons = hold_reads.reasons_of(connection, [int(r.instruction_id) for r in rows])
    by_reason: dict[str, dict[str, Any]] = {}
    releases = []
    for r in rows:
        codes = reasons[int(r.instruction_id)]
        code = screening.first_reason(codes)
        entry = by_reason.setdefault(
            code,
            {"code": code, "title": _title(code, lang), "held": 0, "held_fen": 0}
            | {"released": 0, "released_fen": 0},
        )
        kind = "held" if r.released_by is None else "released"
        entry[kind] += 1
        entry[f"{kind}_fen"] += int(r.amount_fen)
        if r.released_by is not None:
            releases.append(
                {
                    "instruction_id": int(r.instruction_id),
                    "batch_id": int(r.batch_id),
                    "key": r.key,
                    "township": r.township,
                    "amount": format_yuan(int(r.amount_fen), thousands=True),
                    "reasons": ("、" if lang != "en" else ", ").join(
                        _title(c, lang) for c in sorted(codes, key=screening.PRECEDENCE.__getitem__)
                    ),
                    "by": r.released_by,
                    "at": str(r.released_at)[:16],
                    "why": r.release_reason,
                }
            )
    groups = sorted(by_reason.values(), key=lambda g: screening.PRECEDENCE[g["code"]])
    for g in groups:
        g["held_text"] = format_yuan(g["held_fen"], thousands=True)
        g["released_text"] = format_yuan(g["released_fen"], thousands=True)
    return {"reasons": groups, "releases": releases}
