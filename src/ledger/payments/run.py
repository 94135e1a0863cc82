"""Running batches: the month's regular batches (with their deductions, back pay,
supplements and one-off batches) and the supplementary batches of re-issued failures;
every new batch is screened (``holds``) before anyone approves it."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ledger import backpay, deductions, holds, households, institutions, oneoff, supplements
from ledger.batches import (
    BatchKind,
    end_to_end_prefix,
    parse_period,
)
from ledger.county import County, unknown_code
from ledger.db import batches_store as store
from ledger.db import deductions_store, period_checks, reissue_store
from ledger.db.events import record_event
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.payments.moments import now_utc


@dataclass(frozen=True)
class CreatedBatch:
    id: int
    program: str
    bank: str
    count: int
    amount_fen_total: int
    townships: list[tuple[str, int, int]]
    held_count: int = 0  # of ``count``: held by the screening (not accrued, not in the file)
    held_fen: int = 0


@dataclass(frozen=True)
class RunResult:
    period: str
    kind: BatchKind
    created: list[CreatedBatch] = field(default_factory=list)
    # (program, bank, existing batch id, active enrolments not in it)
    existing: list[tuple[str, str, int, int]] = field(default_factory=list)
    # Re-issue only: failures left open, the account reported closed or frozen being
    # unchanged (instruction id, recipient key, bank, reason code).
    blocked: list[tuple[int, str, str, str]] = field(default_factory=list)


def _check_filters(county: County, programs: Collection[str], banks: Collection[str]) -> None:
    problems = [
        unknown_code("program", p, county.programs)
        for p in sorted(programs)
        if p not in county.programs
    ]
    problems += [
        unknown_code("bank", b, county.banks) for b in sorted(banks) if b not in county.banks
    ]
    if problems:
        raise ValidationError(
            f"not in the county configuration ({county.source_path or 'county'}):", problems
        )


def _check_groups(county: County, groups: list[store.Group]) -> None:
    problems = []
    for g in groups:
        if g.program not in county.programs:
            problems.append(f"program {g.program!r} ({g.count} enrolments) is not configured")
        if g.bank not in county.banks:
            problems.append(f"bank {g.bank!r} ({g.count} enrolments) is not configured")
    if problems:
        raise ValidationError(
            "the roster names programs or banks the county configuration does not know; "
            "nothing was created:",
            sorted(set(problems)),
        )


def run_batches(
    uow: UnitOfWork,
    county: County,
    period: str,
    *,
    operator: str,
    programs: Collection[str] = (),
    banks: Collection[str] = (),
    now: datetime | None = None,
) -> RunResult:
    """Draft regular batches (one per program and bank, not for a group with a live one,
    none in a closed period) and one-off batches of the approved, unpaid cases."""
    period = parse_period(period)
    _check_filters(county, programs, banks)
    connection = uow.connection
    if period_checks.is_closed(connection, period):
        raise LedgerError(
            f"period {period} is closed (`ledger journal close-period`): no new batch is run "
            "for it; pay what is still owed in an open period"
        )
    store.lock_batches(connection)
    store.stage_eligible(connection, period, programs, banks)
    deducted = institutions.unstage_deductions(
        connection, deductions.stage_for_run(connection, county)
    )
    groups = store.staged_groups(connection)
    _check_groups(county, groups)
    existing = store.live_regular_batches(connection, period)
    result = RunResult(period, BatchKind.REGULAR)
    for (program, bank), batch_id in sorted(existing.items()):
        if (programs and program not in programs) or (banks and bank not in banks):
            continue
        late = sum(g.count for g in groups if (g.program, g.bank) == (program, bank))
        result.existing.append((program, bank, batch_id, late))
    new_groups = [g for g in groups if (g.program, g.bank) not in existing]
    households.check_groups(connection, county, new_groups)
    institutions.check_groups(connection, county, new_groups)
    moment = now_utc(now)
    new_ids = [
        store.insert_batch(
            connection,
            period=period,
            group=g,
            kind=BatchKind.REGULAR,
            sequence=store.next_sequence(connection, period, g.program, g.bank, BatchKind.REGULAR),
            operator=operator,
            now=moment,
            rule=county.approval.rule_for(g.amount_fen_total),
        )
        for g in new_groups
    ]
    if new_ids:
        prefix = end_to_end_prefix(county.code, period)
        base = store.insert_staged(
            connection,
            period,
            new_ids,
            prefix,
            deducted,
            household_programs=households.household_programs(county),
        )
        households.add_to_run(connection, county, new_ids, prefix)
        institutions.add_to_run(connection, county, period, new_ids, prefix)
        if deducted:
            deductions.record_for_run(connection, base, new_ids)
        backpay.add_to_run(connection, county.backpay_window, period, new_ids, county.code)
        supplements.add_to_run(connection, county, period, new_ids)
    deductions_store.drop_staged(connection)
    store.drop_staged(connection)
    new_ids += oneoff.add_batches(
        connection, county, period, operator=operator, now=moment, programs=programs, banks=banks
    )
    if not new_ids:
        return result
    _screen_and_finish(
        connection, county, period, result, new_ids, operator, "batch.created", moment
    )
    uow.commit()
    return result


def reissue_failed(
    uow: UnitOfWork,
    county: County,
    period: str,
    *,
    operator: str,
    programs: Collection[str] = (),
    banks: Collection[str] = (),
    with_held: bool = False,
    now: datetime | None = None,
) -> RunResult:
    """Put every failed (and not cancelled, not yet re-issued) instruction of the period
    into a new supplementary batch per program and bank, against the still-open payable;
    with ``with_held``, also the payments held in the period's approved batches (accrued
    when the supplementary batch is approved). A failure on an account reported closed
    or frozen (AC04/AC06) waits for a changed account (``result.blocked``). The new
    instructions are screened again: a cause not cleared holds them again."""
    period = parse_period(period)
    _check_filters(county, programs, banks)
    connection = uow.connection
    store.lock_batches(connection)
    groups = reissue_store.reissue_groups(connection, period, programs, banks, with_held=with_held)
    _check_groups(county, groups)
    result = RunResult(period, BatchKind.SUPPLEMENTARY)
    result.blocked.extend(
        (int(r.id), str(r.key), str(r.bank), str(r.reason_code or ""))
        for r in reissue_store.closed_unchanged(connection, period, programs, banks)
    )
    if not groups:
        return result
    moment = now_utc(now)
    new_ids = [
        store.insert_batch(
            connection,
            period=period,
            group=g,
            kind=BatchKind.SUPPLEMENTARY,
            sequence=store.next_sequence(
                connection, period, g.program, g.bank, BatchKind.SUPPLEMENTARY
            ),
            operator=operator,
            now=moment,
            rule=county.approval.rule_for(g.amount_fen_total),
        )
        for g in groups
    ]
    reissue_store.insert_reissued_instructions(
        connection, period, new_ids, end_to_end_prefix(county.code, period), with_held=with_held
    )
    action = "batch.reissue_created"
    _screen_and_finish(connection, county, period, result, new_ids, operator, action, moment)
    uow.commit()
    return result


def _screen_and_finish(
    connection: sa.Connection,
    county: County,
    period: str,
    result: RunResult,
    new_ids: list[int],
    operator: str,
    action: str,
    moment: datetime,
) -> None:
    """Screen the new batches (household members, institutions' residents, then every
    payee) and record them."""
    households.screen_members(connection, county, period, new_ids, moment)
    institutions.screen_residents(connection, county, period, new_ids, moment)
    holds.screen_batches(connection, county, period, new_ids, moment)
    finish_created(connection, result, new_ids, operator, action)


def finish_created(
    connection: sa.Connection, result: RunResult, new_ids: list[int], operator: str, action: str
) -> None:
    store.refresh_totals(connection, new_ids)
    for batch_id in new_ids:
        row = store.load_batch(connection, batch_id)
        payable_count, payable_fen = store.payable_totals(connection, batch_id)
        result.created.append(
            CreatedBatch(
                batch_id,
                row.program,
                row.bank,
                int(row.instruction_count),
                int(row.amount_fen_total),
                store.township_totals(connection, batch_id),
                int(row.instruction_count) - payable_count,
                int(row.amount_fen_total) - payable_fen,
            )
        )
        record_event(
            connection,
            operator=operator,
            action=action,
            subject_type="batch",
            subject_id=batch_id,
            detail={
                "period": row.period,
                "program": row.program,
                "bank": row.bank,
                "kind": row.kind,
                "instruction_count": int(row.instruction_count),
                "amount_fen_total": int(row.amount_fen_total),
            },
        )
