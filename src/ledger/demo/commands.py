"""The services the demo calls, as the commands call them (the roster and reference-list
imports, an allocation), and its reads of the ledger."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from ledger import allocations, operator_register, refdata_import, registry_import
from ledger.county import County
from ledger.db.bulk import fetch_all
from ledger.db.uow import UnitOfWork
from ledger.demo.roles import ADMIN, CIVIL_AFFAIRS, MAKER, OPERATORS
from ledger.errors import ValidationError
from ledger.files_util import sha256_of
from ledger.funds import make_allocation
from ledger.roster import COLUMNS as ROSTER_COLUMNS
from ledger.tabular import open_table


def register_operators(engine: Engine) -> None:
    """``ledger operators add`` for each of the demo's operators (the admin first)."""
    for name, roles, full_name, department in OPERATORS:
        with UnitOfWork(engine) as uow:
            operator_register.add(
                uow,
                name,
                roles=roles,
                full_name=full_name,
                department=department,
                by=ADMIN if name != ADMIN else "demo",
            )


def fetch_all_rows(engine: Engine, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with UnitOfWork(engine) as uow:
        return fetch_all(uow.connection, sql, params)


def failed_instructions(engine: Engine, period: str) -> list[tuple[int, str, str]]:
    """(instruction id, reason code, bank) of the period's failed instructions."""
    rows = fetch_all_rows(
        engine,
        "SELECT i.id, COALESCE(i.reason_code, ''), b.bank FROM payment_instructions i "
        "JOIN batches b ON b.id = i.batch_id "
        "WHERE i.status = 'failed' AND b.period = ? ORDER BY i.id",
        (period,),
    )
    return [(int(i), str(r), str(b)) for i, r, b in rows]


def import_roster(
    engine: Engine, county: County, path: Path, *, month: str, operator: str, now: datetime
) -> dict[str, int]:
    """``ledger registry import FILE --month M``."""
    table = open_table(path, ROSTER_COLUMNS)
    with UnitOfWork(engine) as uow:
        result = registry_import.run_import(
            uow,
            table,
            county,
            file_name=str(path),
            file_sha256=sha256_of(path),
            operator=operator,
            roster_month=month,
            now=now,
        )
    return {
        "rows": result.row_count,
        "added": result.added,
        "changed": result.changed,
        "exited": result.exited,
        "warnings": result.warning_count,
    }


def import_reference_list(engine: Engine, kind: str, path: Path, *, operator: str) -> int:
    """``ledger refdata import KIND FILE``."""
    rows, _problems = refdata_import.read_list(path, kind)
    with UnitOfWork(engine) as uow:
        return refdata_import.import_list(
            uow, kind, rows, file_name=str(path), file_sha256=sha256_of(path), operator=operator
        )


def allocate(
    engine: Engine, county: County, *, source: str, program: str, amount: str, doc: str, day: date
) -> None:
    """``ledger funds allocate``."""
    allocation, problems = make_allocation(
        county, source=source, program=program, amount=amount, doc=doc, day=day
    )
    if allocation is None:
        raise ValidationError("the allocation was refused:", [m for _, m in problems])
    with UnitOfWork(engine) as uow:
        allocations.allocate(uow, allocation, operator=MAKER, county=county)


def import_categories(
    engine: Engine, county: County, frame: pd.DataFrame, path: Path, period: str
) -> None:
    """Civil affairs imports the categories list (分类施保, `ledger registry categories`)
    written to ``path``: from then on each batch adds the supplements."""
    from ledger import supplements
    from ledger.demo.summary import at

    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    with UnitOfWork(engine) as uow:
        supplements.import_categories(
            uow, county, path, operator=CIVIL_AFFAIRS, now=at(period, 1, 10)
        )


def write_receipt_list(engine: Engine, county: County, batch_id: int, folder: Path) -> Path:
    """The cash receipt list of an exported cash batch, as `ledger report receipts`."""
    from ledger.cash import receipt_list

    path = folder / f"batch-{batch_id:06d}-receipts.html"
    with engine.connect() as connection:
        path.write_text(receipt_list(connection, county, batch_id).html, encoding="utf-8")
    return path


def close_month(engine: Engine, period: str, *, operator: str) -> None:
    """Close the period, as `ledger journal close-period` does."""
    from ledger.db.events import record_event
    from ledger.db.periods_store import close_period

    with UnitOfWork(engine) as uow:
        close_period(uow.connection, period, operator=operator)
        record_event(
            uow.connection,
            operator=operator,
            action="period.closed",
            subject_type="period",
            subject_id=period,
        )
        uow.commit()
