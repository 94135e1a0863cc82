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

import sqlalchemy as sa

from ledger.batches import BatchState, InstructionStatus, period_start
from ledger.county import County
from ledger.db import batches_store
from ledger.db import screening_store as store
from ledger.db.events import record_event
from ledger.db.schema import hold_releases, instruction_holds, payment_instructions
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.files.profiles import available_profiles


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
        caps={p.code: p.monthly_cap_fen for p in county.programs.values()},
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
