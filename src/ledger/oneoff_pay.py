"""Paying 临时救助 cases at once (先行救助): an urgent one-off batch outside the monthly
run (``batch run --urgent``, ``oneoff pay``). The regular run pays approved cases too
(``ledger.oneoff.add_batches``)."""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from ledger import holds, payments
from ledger.batches import BatchKind, parse_period
from ledger.county import County
from ledger.db import batches_store, period_checks
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.oneoff import add_batches, rules_of


def pay_now(
    uow: UnitOfWork,
    county: County,
    period: str,
    *,
    operator: str,
    case_ids: Sequence[int] | None = None,
    banks: Collection[str] = (),
    now: datetime | None = None,
) -> payments.RunResult:
    """An urgent batch (先行救助): the approved, unpaid cases (or the named ones) in
    one-off batches of ``period`` now, without the regular run. Screened like any batch."""
    period = parse_period(period)
    rules_of(county)
    connection = uow.connection
    if period_checks.is_closed(connection, period):
        raise LedgerError(f"period {period} is closed: pay the cases in an open period")
    batches_store.lock_batches(connection)
    if case_ids is not None:
        problems = []
        for case_id in sorted(set(case_ids)):
            row = connection.execute(
                sa.text(
                    "SELECT c.status, (SELECT t.batch_id FROM entitlements t WHERE"
                    " t.case_id = c.id AND t.status <> 'voided') AS batch_id"
                    " FROM oneoff_cases c WHERE c.id = :id"
                ),
                {"id": case_id},
            ).first()
            if row is None:
                problems.append(f"case {case_id}: does not exist")
            elif row.status != "approved":
                problems.append(f"case {case_id}: is {row.status}, not approved")
            elif row.batch_id is not None:
                problems.append(f"case {case_id}: already in batch {row.batch_id}")
        if problems:
            raise ValidationError("nothing was paid:", problems)
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    result = payments.RunResult(period, BatchKind.ONEOFF)
    new_ids = add_batches(
        connection, county, period, operator=operator, now=moment, banks=banks, case_ids=case_ids
    )
    if not new_ids:
        return result
    holds.screen_batches(connection, county, period, new_ids, moment)
    payments.finish_created(connection, result, new_ids, operator, "batch.created")
    uow.commit()
    return result
