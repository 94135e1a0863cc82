"""Exporting an approved batch: its bank file (atomic, validated), the funding entry
and the allocations it draws on; an exported file written again byte for byte."""

import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger import accounts
from ledger.batches import (
    EXPORTED_STATES,
    BatchState,
    check_export,
    pay_date,
    remittance_text,
)
from ledger.county import County
from ledger.db import batch_rows_store, fund_lineage
from ledger.db import batches_store as store
from ledger.db.accounts_store import open_accounts
from ledger.db.balances import account_balance
from ledger.db.checkpoint import event_witness, last_event_of
from ledger.db.event_verify import scope_problem
from ledger.db.events import record_event
from ledger.db.journal_store import post
from ledger.db.state_digest import scope_name
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.files import pain001
from ledger.files.bankfile import FileContext, write_bank_file
from ledger.files.profiles import Profile, available_profiles
from ledger.journal import NewTransaction, PostingColumns
from ledger.money import format_yuan
from ledger.payments.manifest import atomic_write, manifest_document
from ledger.payments.moments import as_utc, now_utc


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
    exported_at = as_utc(batch.exported_at) if again else now_utc(now)
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
    atomic_write(manifest_path, manifest)
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
                profile,
                context,
                batch_rows_store.iter_file_rows(connection, context.batch_id),
                stream,
            )
            stream.flush()
            os.fsync(stream.fileno())
        if profile.format == "pain001":
            pain001.validate(temp)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp, written
