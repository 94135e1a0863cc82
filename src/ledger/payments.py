"""The monthly payment batch as services: run, re-issue, approve, void, export, verify.

Each service takes a ``UnitOfWork``, does one state change and commits it; a refusal
raises ``LedgerError`` before the commit, so nothing is half-done. Ledger entries
(DESIGN §3; docs/ledger.md), each keyed so a retried step never posts twice:

- approve (regular and one-off batch): accrual, Dr ``Expenses:Assistance:{p}:{township}``
  / Cr ``Liabilities:Payable:{p}:{recipient}`` per instruction; ``batch:{id}:accrual``
  (a supplementary batch accrues only held payments: a failure's payable is still open).
- void: the reversal of the accrual; ``batch:{id}:void``.
- export: funding, Dr ``Assets:BankClearing:{bank}`` / Cr ``Assets:Treasury:{p}``;
  ``batch:{id}:funding``, described with the bank file's name and SHA-256.
"""

import json
import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger import accounts, backpay, holds, oneoff
from ledger.batches import (
    EXPORTED_STATES,
    BatchKind,
    BatchState,
    check_approval,
    check_export,
    check_void,
    end_to_end_prefix,
    parse_period,
    pay_date,
    remittance_text,
)
from ledger.county import County, unknown_code
from ledger.db import approvals_store, fund_lineage, operators_store, period_checks
from ledger.db import batches_store as store
from ledger.db.accounts_store import open_accounts, open_payables
from ledger.db.balances import account_balance
from ledger.db.checkpoint import event_witness, last_event_of
from ledger.db.event_verify import scope_problem
from ledger.db.events import record_event
from ledger.db.journal_store import post, reverse
from ledger.db.state_digest import scope_name
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.files import pain001
from ledger.files.bankfile import FileContext, write_bank_file
from ledger.files.profiles import Profile, available_profiles
from ledger.journal import NewTransaction, PostingColumns
from ledger.money import format_yuan
from ledger.operators import Role, name_key, refusal


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


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


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
    moment = _now(now)
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
        store.insert_staged(connection, period, new_ids, end_to_end_prefix(county.code, period))
        backpay.add_to_run(connection, county.backpay_window, period, new_ids, county.code)
    store.drop_staged(connection)
    new_ids += oneoff.add_batches(
        connection, county, period, operator=operator, now=moment, programs=programs, banks=banks
    )
    if not new_ids:
        return result
    holds.screen_batches(connection, county, period, new_ids, moment)
    finish_created(connection, result, new_ids, operator, "batch.created")
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
    groups = store.reissue_groups(connection, period, programs, banks, with_held=with_held)
    _check_groups(county, groups)
    result = RunResult(period, BatchKind.SUPPLEMENTARY)
    result.blocked.extend(
        (int(r.id), str(r.key), str(r.bank), str(r.reason_code or ""))
        for r in store.closed_unchanged(connection, period, programs, banks)
    )
    if not groups:
        return result
    moment = _now(now)
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
    store.insert_reissued_instructions(
        connection, period, new_ids, end_to_end_prefix(county.code, period), with_held=with_held
    )
    holds.screen_batches(connection, county, period, new_ids, moment)
    finish_created(connection, result, new_ids, operator, "batch.reissue_created")
    uow.commit()
    return result


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


@dataclass(frozen=True)
class ApprovalResult:
    batch_id: int
    approver: str
    approvals: int  # recorded so far, this one included
    required: int
    other_department: bool
    approved: bool  # the rule is met: the batch is approved
    accrual_transaction_id: int | None
    missing: str  # what the rule still needs ("" when approved)


def approve(
    uow: UnitOfWork,
    batch_id: int,
    *,
    operator: str,
    today: date | None = None,
    now: datetime | None = None,
) -> int | None:
    """Record an approval (``record_approval``); return the accrual transaction id when
    it approved the batch (None for a supplementary batch, or while approvals are
    still missing)."""
    result = record_approval(uow, batch_id, operator=operator, today=today, now=now)
    return result.accrual_transaction_id


def record_approval(
    uow: UnitOfWork,
    batch_id: int,
    *,
    operator: str,
    today: date | None = None,
    now: datetime | None = None,
) -> ApprovalResult:
    """Record one checker's approval of a draft (never its maker's, never twice by one
    checker); when the approvals meet the batch's rule (county.toml ``[approval]``,
    fixed on the batch when it was run), approve it and post its accrual."""
    connection = uow.connection
    store.lock_batches(connection)
    batch = store.load_batch(connection, batch_id, lock=True)
    key = name_key(operator)
    maker_key = batch.created_by_key or name_key(batch.created_by)
    check_approval(batch.state, maker_key, key, batch.created_by, batch_id)
    checker = operators_store.load(connection, key)
    problem = refusal(operator, Role.FINANCE_CHECKER, checker)
    if problem is not None or checker is None:
        raise LedgerError(problem or f"operator {operator!r} is not registered")
    previous = approvals_store.approvals(connection, batch_id)
    if any(a.operator_key == key for a in previous):
        raise LedgerError(
            f"batch {batch_id}: {checker.name} has already approved it; "
            "its rule needs a different checker"
        )
    moment = _now(now)
    approvals_store.insert(
        connection,
        batch_id,
        operator=checker.name,
        key=key,
        department=checker.department or None,
        now=moment,
    )
    maker = operators_store.load(connection, maker_key)
    departments = {a.department for a in previous} | {checker.department}
    count, required = len(previous) + 1, int(batch.approvals_required)
    other = bool(batch.approvals_other_department)
    missing = []
    if count < required:
        missing.append(f"{required - count} more checker(s)")
    if other and not (departments - {None, "", maker.department if maker else None}):
        missing.append(
            "a checker of a department other than the maker's"
            + (f" ({maker.department})" if maker and maker.department else "")
        )
    record_event(
        connection,
        operator=checker.name,
        action="batch.approval_recorded",
        subject_type="batch",
        subject_id=batch_id,
        detail={"approval": count, "required": required, "other_department": other},
    )
    accrual_id = None
    if not missing:
        # Held payments are not accrued; a supplementary batch accrues only held ones.
        accrual_id = _post_accrual(connection, batch, checker.name, today or date.today())
        store.set_state(
            connection,
            batch_id,
            state=BatchState.APPROVED.value,
            approved_by=checker.name,
            approved_at=moment,
            accrual_transaction_id=accrual_id,
        )
        record_event(
            connection,
            operator=checker.name,
            action="batch.approved",
            subject_type="batch",
            subject_id=batch_id,
            detail={
                "accrual_transaction_id": accrual_id,
                "created_by": batch.created_by,
                "approvals": [a.operator for a in previous] + [checker.name],
            },
        )
    uow.commit()
    return ApprovalResult(
        batch_id=batch_id,
        approver=checker.name,
        approvals=count,
        required=required,
        other_department=other,
        approved=not missing,
        accrual_transaction_id=accrual_id,
        missing=" and ".join(missing),
    )


def _post_accrual(connection: sa.Connection, batch: Any, operator: str, day: date) -> int | None:
    ids, keys, townships, amounts = store.accrual_columns(
        connection, int(batch.id), only_not_accrued=batch.kind == BatchKind.SUPPLEMENTARY
    )
    if not ids:
        return None
    program = batch.program
    by_township: dict[str, int] = {}
    for township, amount in zip(townships, amounts, strict=True):
        by_township[township] = by_township.get(township, 0) + amount
    expense_names = [accounts.assistance(program, t) for t in sorted(by_township)]
    payable_names = [accounts.payable(program, key) for key in keys]
    open_accounts(connection, expense_names)
    open_payables(connection, program, int(batch.id))
    postings = PostingColumns(
        accounts=expense_names + payable_names,
        amounts_fen=[by_township[t] for t in sorted(by_township)] + [-a for a in amounts],
        instruction_ids=[None] * len(expense_names) + list(ids),
    )
    recorded = post(
        connection,
        NewTransaction(
            type="accrual",
            effective_date=day,
            description=(
                f"accrual of batch {batch.id}: {batch.period} {program} {batch.bank}, "
                f"{len(ids)} entitlements, {format_yuan(sum(amounts))} yuan"
            ),
            operator=operator,
            postings=postings,
            idempotency_key=f"batch:{batch.id}:accrual",
        ),
    )
    return recorded.id


def void(
    uow: UnitOfWork,
    batch_id: int,
    *,
    operator: str,
    reason: str,
    today: date | None = None,
    now: datetime | None = None,
) -> int | None:
    """Void a draft or approved batch (never an exported one): reverse its accrual,
    withdraw its instructions, release its entitlements. Returns the reversal's id."""
    connection = uow.connection
    store.lock_batches(connection)
    batch = store.load_batch(connection, batch_id, lock=True)
    check_void(batch.state, batch_id)
    if not reason.strip():
        raise LedgerError("say why the batch is voided (--reason)")
    reversal_id = None
    if batch.accrual_transaction_id is not None:
        reversal_id = reverse(
            connection,
            int(batch.accrual_transaction_id),
            operator=operator,
            effective_date=today or date.today(),
            reason=f"batch {batch_id} voided: {reason}",
            idempotency_key=f"batch:{batch_id}:void",
        ).id
    store.void_instructions(connection, batch_id)
    store.set_state(
        connection,
        batch_id,
        state=BatchState.VOIDED.value,
        voided_by=operator,
        voided_at=_now(now),
        void_reason=reason,
        void_transaction_id=reversal_id,
    )
    record_event(
        connection,
        operator=operator,
        action="batch.voided",
        subject_type="batch",
        subject_id=batch_id,
        detail={"reason": reason, "previous_state": batch.state, "reversal": reversal_id},
    )
    uow.commit()
    return reversal_id


@dataclass(frozen=True)
class Exported:
    batch_id: int
    path: Path
    manifest_path: Path
    sha256: str
    count: int
    amount_fen_total: int
    funding_transaction_id: int
    rewritten: bool  # True: an earlier export written again, byte for byte


def file_name(batch: Any, profile: Profile) -> str:
    return (
        f"batch-{int(batch.id):06d}-{batch.period}-{batch.program}-{batch.bank}.{profile.extension}"
    )


def resolve_profile(county: County, batch: Any, requested: str | None) -> Profile:
    profiles = available_profiles(county.source_path or None)
    recorded = batch.profile
    if recorded is not None and requested is not None and requested != recorded:
        raise LedgerError(
            f"batch {batch.id} was exported with profile {recorded}: it can only be "
            f"written again in that profile (a second file in {requested} could be paid twice)"
        )
    name = recorded or requested or county.banks[batch.bank].profile
    if name not in profiles:
        raise LedgerError(
            f"unknown bank file profile {name!r} (known: {', '.join(sorted(profiles))})"
        )
    return profiles[name]


def export(
    uow: UnitOfWork,
    county: County,
    batch_id: int,
    out_dir: str | Path,
    *,
    operator: str,
    profile_name: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Exported:
    """Write an approved batch's bank file (atomically, with a manifest) and post the
    funding entry; or, for a batch already exported, write the identical file again."""
    connection = uow.connection
    store.lock_batches(connection)
    batch = store.load_batch(connection, batch_id, lock=True)
    check_export(batch.state, batch_id)
    if batch.program not in county.programs or batch.bank not in county.banks:
        raise LedgerError(
            f"batch {batch_id}: program {batch.program} or bank {batch.bank} is not in the "
            "county configuration"
        )
    program = county.programs[batch.program]
    profile = resolve_profile(county, batch, profile_name)
    again = batch.state in EXPORTED_STATES
    exported_at = _as_utc(batch.exported_at) if again else _now(now)
    # Held payments are in the batch but not in the file, its control totals or the
    # funding.
    count, total = store.payable_totals(connection, batch_id)
    if count == 0:
        raise LedgerError(
            f"batch {batch_id}: every payment is held (see `ledger batch show`); there is "
            "nothing to export"
        )
    # The rows the file is written from must be the rows the audit trail recorded (an
    # account edited behind the application's back would be paid otherwise).
    tampered = scope_problem(connection, scope_name("batch", batch_id))
    if tampered is not None:
        raise LedgerError(
            f"batch {batch_id}: its rows differ from the audit record ({tampered}); nothing "
            "was exported; run `ledger audit verify`"
        )
    if not again:
        _check_funds(connection, program.code, total, program.treasury_may_go_negative)
    the_pay_date = (
        batch.pay_date
        if again
        else pay_date(
            batch.period, county.pay_day, exported_at.astimezone(pain001.CHINA_TIME).date()
        )
    )
    context = FileContext(
        batch_id=batch_id,
        county_code=county.code,
        period=batch.period,
        program=batch.program,
        remittance=remittance_text(batch.period, program.name_zh),
        count=count,
        amount_fen_total=total,
        debtor_account=program.special_account,
        debtor_name=program.special_account_name,
        debtor_bank_cnaps=county.banks[program.special_account_bank].cnaps,
        bank_cnaps={code: bank.cnaps for code, bank in county.banks.items()},
        exported_at=exported_at,
        pay_date=the_pay_date,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = file_name(batch, profile)
    temp = _write_temp(out, name, profile, context, connection)
    try:
        written = temp[1]
        if again and written.sha256 != batch.file_sha256:
            raise LedgerError(
                f"batch {batch_id}: the file written again differs from the export recorded "
                f"on {exported_at:%Y-%m-%d %H:%M} UTC (sha256 {batch.file_sha256}, now "
                f"{written.sha256}): the county configuration (accounts, CNAPS codes, "
                "program names, profiles) changed since; the original file is the one "
                "the bank holds"
            )
        if again:
            funding_id = int(batch.funding_transaction_id)
            record_event(
                connection,
                operator=operator,
                action="batch.file_rewritten",
                subject_type="batch",
                subject_id=batch_id,
                detail={"file": name, "sha256": written.sha256, "out_dir": str(out)},
            )
        else:
            funding_id = _post_funding(
                connection,
                county,
                batch,
                name,
                written.sha256,
                operator,
                today or date.today(),
                (count, total),
            )
            store.set_state(
                connection,
                batch_id,
                state=BatchState.EXPORTED.value,
                exported_by=operator,
                exported_at=exported_at,
                funding_transaction_id=funding_id,
                profile=profile.name,
                file_name=name,
                file_sha256=written.sha256,
                pay_date=the_pay_date,
            )
            record_event(
                connection,
                operator=operator,
                action="batch.exported",
                subject_type="batch",
                subject_id=batch_id,
                detail={
                    "file": name,
                    "sha256": written.sha256,
                    "profile": profile.name,
                    "funding_transaction_id": funding_id,
                },
            )
        uow.commit()
    except BaseException:
        Path(temp[0]).unlink(missing_ok=True)
        raise
    final = out / name
    os.replace(temp[0], final)
    manifest = manifest_document(
        batch,
        profile=profile,
        name=name,
        sha256=written.sha256,
        exported_at=exported_at,
        exported_by=batch.exported_by if again else operator,
        funding_id=funding_id,
        byte_count=written.byte_count,
        payable=(count, total),
        chain_head=_export_witness(connection, batch_id),
    )
    manifest_path = out / f"{name}.manifest.json"
    _atomic_write(manifest_path, manifest)
    return Exported(
        batch_id,
        final,
        manifest_path,
        written.sha256,
        written.count,
        written.amount_fen_total,
        funding_id,
        again,
    )


def _export_witness(connection: sa.Connection, batch_id: int) -> dict[str, Any] | None:
    """The heads witnessed by the batch's export event (committed before the manifest)."""
    event_id = last_event_of(connection, "batch.exported", batch_id)
    return None if event_id is None else event_witness(connection, event_id)


def _as_utc(moment: datetime) -> datetime:
    """SQLite gives naive timestamps (recorded in UTC); PostgreSQL aware ones."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _check_funds(connection: sa.Connection, program: str, need: int, may_go_negative: bool) -> None:
    if may_go_negative:
        return
    account = accounts.treasury(program)
    available = account_balance(connection, account)
    if available < need:
        raise LedgerError(
            f"insufficient funds in {account}: need {format_yuan(need, thousands=True)}, "
            f"available {format_yuan(available, thousands=True)}, missing "
            f"{format_yuan(need - available, thousands=True)} yuan; "
            "record the allocation first, nothing was exported"
        )


def _post_funding(
    connection: sa.Connection,
    county: County,
    batch: Any,
    name: str,
    sha256: str,
    operator: str,
    day: date,
    payable: tuple[int, int],
) -> int:
    treasury = accounts.treasury(batch.program)
    clearing = accounts.bank_clearing(batch.bank)
    negative = [p.code for p in county.programs.values() if p.treasury_may_go_negative]
    open_accounts(connection, [treasury, clearing], treasury_negative_programs=negative)
    count, total = payable
    recorded = post(
        connection,
        NewTransaction(
            type="funding",
            effective_date=day,
            description=(
                f"funding of batch {batch.id} ({batch.period} {batch.program}, "
                f"{count} payments) to {batch.bank}: bank file {name} "
                f"sha256 {sha256}"
            ),
            operator=operator,
            postings=PostingColumns(accounts=[clearing, treasury], amounts_fen=[total, -total]),
            idempotency_key=f"batch:{batch.id}:funding",
        ),
    )
    if recorded.created:
        # Which allocations the money is drawn from (docs/ledger.md "Fund lineage").
        fund_lineage.draw_for_funding(connection, county, batch.program, recorded.id, total, day)
    return recorded.id


def _write_temp(
    out: Path, name: str, profile: Profile, context: FileContext, connection: sa.Connection
) -> tuple[str, Any]:
    """Write the file to a temporary name in ``out`` (same file system, so the final
    rename is atomic), flushed to disk; validate a pain.001 file against the XSD."""
    handle, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
    try:
        with os.fdopen(handle, "wb") as stream:
            written = write_bank_file(
                profile, context, store.iter_file_rows(connection, context.batch_id), stream
            )
            stream.flush()
            os.fsync(stream.fileno())
        if profile.format == "pain001":
            pain001.validate(temp)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp, written


def manifest_document(
    batch: Any,
    *,
    profile: Profile,
    name: str,
    sha256: str,
    exported_at: datetime,
    exported_by: str,
    funding_id: int,
    byte_count: int,
    payable: tuple[int, int],
    chain_head: dict[str, Any] | None = None,
) -> bytes:
    """The manifest beside a bank file; deterministic like the file itself. ``count``
    and the amounts are the file's (held payments excluded); ``held_count`` says how
    many of the batch's instructions are held out of it."""
    count, total = payable
    document = {
        "batch": int(batch.id),
        "kind": batch.kind,
        "period": batch.period,
        "program": batch.program,
        "bank": batch.bank,
        "profile": profile.name,
        "file": name,
        "bytes": byte_count,
        "sha256": sha256,
        "count": count,
        "amount_fen_total": total,
        "amount_total": format_yuan(total),
        "held_count": int(batch.instruction_count) - count,
        "created_by": batch.created_by,
        "approved_by": batch.approved_by,
        "exported_by": exported_by,
        "exported_at": exported_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "funding_transaction_id": funding_id,
    }
    if chain_head is not None:
        # The chains' heads the export left (its audit event and the funding transaction):
        # `ledger audit verify --checkpoint MANIFEST` proves the ledger still holds them.
        document["chain_head"] = chain_head
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    batch_id: int | None = None


def verify_file(connection: sa.Connection, path: str | Path) -> Verification:
    """Whether ``path`` is exactly (byte for byte) a bank file this ledger exported."""
    import hashlib

    path = Path(path)
    if not path.is_file():
        raise LedgerError(f"{path}: no such file")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
    batch = store.find_by_sha256(connection, sha)
    if batch is not None:
        return Verification(
            True,
            f"OK: {path.name} is exactly the bank file of batch {batch.id} "
            f"({batch.period} {batch.program} {batch.bank}, {batch.instruction_count} payments, "
            f"{format_yuan(int(batch.amount_fen_total), thousands=True)} yuan), exported "
            f"{_as_utc(batch.exported_at):%Y-%m-%d %H:%M:%S} UTC by {batch.exported_by}, "
            f"approved by {batch.approved_by}; sha256 {sha}",
            int(batch.id),
        )
    batch = store.find_by_file_name(connection, path.name)
    if batch is not None:
        return Verification(
            False,
            f"{path.name} is NOT the file exported for batch {batch.id}: its sha256 is {sha}, "
            f"the export recorded {batch.file_sha256}. It was changed after export.",
            int(batch.id),
        )
    return Verification(False, f"{path.name} was not exported by this ledger (sha256 {sha})")
