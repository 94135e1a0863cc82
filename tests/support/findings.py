"""Arrange paid periods for the findings tests: people, funds, batches run, approved and
exported through the real services, instruction ids by recipient key."""

import hashlib
import itertools
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ledger import holds, payments
from ledger.county import County, example_path, load_county
from ledger.db import refdata_store
from ledger.db.uow import UnitOfWork
from ledger.findings import service
from ledger.identity import id_check_char
from tests.helpers import post_lines
from tests.support.roster import Person, add_people

COUNTY = load_county(example_path())


def pid(n: int, birth: str = "19700101", region: str = "130123") -> str:
    """A valid ID number of the county (check character right)."""
    body = f"{region}{birth}{n % 1000:03d}"
    return body + id_check_char(body)


def person(n: int, **kwargs: object) -> Person:
    defaults: dict[str, object] = {
        "key": f"R{n:07d}",
        "name": f"人{n}",
        "id_number": pid(n),
        "account_number": f"62170000000{n:08d}",
    }
    defaults.update(kwargs)
    return Person(**defaults)  # type: ignore[arg-type]


def fund(engine: sa.Engine, programs: set[str], day: date = date(2026, 10, 20)) -> None:
    with UnitOfWork(engine) as uow:
        for program in sorted(programs):
            post_lines(
                uow.connection,
                [
                    (f"Assets:Treasury:{program}", 1_000_000_00),
                    (f"Income:Appropriation:central:{program}", -1_000_000_00),
                ],
                type_="allocation",
                day=day,
                key=f"alloc:{program}:{day}",
            )
        uow.commit()


def enrol(engine: sa.Engine, people: list[Person]) -> dict[str, int]:
    with UnitOfWork(engine) as uow:
        ids = add_people(uow.connection, people)
        uow.commit()
    return ids


def pay_period(
    engine: sa.Engine,
    out: Path,
    period: str = "2026-11",
    *,
    export: bool = True,
    approve: bool = True,
    county: County = COUNTY,
) -> dict[str, list[int]]:
    """Run, approve and export the period's batches; return key -> instruction ids."""
    start = date(int(period[:4]), int(period[5:]), 1)
    with UnitOfWork(engine) as uow:
        result = payments.run_batches(uow, county, period, operator="maker")
    for batch in result.created:
        # The findings find what was paid: a payment screening held is released first,
        # as a checker may (the rules are the detection behind the prevention).
        release_held(engine, batch.id)
        if approve:
            with UnitOfWork(engine) as uow:
                payments.approve(uow, batch.id, operator="checker", today=start.replace(day=3))
        if approve and export:
            with UnitOfWork(engine) as uow:
                payments.export(
                    uow,
                    county,
                    batch.id,
                    out,
                    operator="cashier",
                    today=start.replace(day=4),
                    now=datetime(start.year, start.month, 4, 9, tzinfo=UTC),
                )
    return instructions(engine, period)


def release_held(engine: sa.Engine, batch_id: int, reason: str = "paid for the test") -> None:
    """Release every payment the screening held in a draft batch (as a checker)."""
    with engine.connect() as connection:
        held = (
            connection.execute(
                sa.text(
                    "SELECT id FROM payment_instructions WHERE batch_id = :b AND status = 'held'"
                ),
                {"b": batch_id},
            )
            .scalars()
            .all()
        )
    if held:
        with UnitOfWork(engine) as uow:
            holds.release(uow, batch_id, held, operator="checker", reason=reason)


def instructions(engine: sa.Engine, period: str) -> dict[str, list[int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT r.key, i.id FROM payment_instructions i JOIN batches b ON b.id = i.batch_id"
                " JOIN recipients r ON r.id = i.recipient_id WHERE b.period = :p ORDER BY i.id"
            ),
            {"p": period},
        ).all()
    out: dict[str, list[int]] = {}
    for key, iid in rows:
        out.setdefault(key, []).append(int(iid))
    return out


def set_status(
    engine: sa.Engine, instruction_ids: list[int], status: str, **values: object
) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"UPDATE payment_instructions SET status = :status{', ' + sets if sets else ''}"
                " WHERE id IN (" + ", ".join(str(i) for i in instruction_ids) + ")"
            ),
            {"status": status, **values},
        )


_IMPORTS = itertools.count(1)


def refdata(engine: sa.Engine, kind: str, rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(rows, dtype=object)  # ints stay ints beside None, never floats
    frame.insert(0, "row_no", range(2, 2 + len(rows)))
    with UnitOfWork(engine) as uow:
        refdata_store.store(
            uow.connection,
            kind,
            frame,
            file_name=f"{kind}.csv",
            # A distinct stand-in hash per call (id(rows) could repeat once a list was
            # freed, and a repeated hash is refused as the same file imported again).
            file_sha256=hashlib.sha256(f"{kind}:{next(_IMPORTS)}".encode()).hexdigest(),
            operator="tester",
        )
        uow.commit()


def detect(
    engine: sa.Engine,
    rule: str,
    period: str = "2026-11",
    as_of: date = date(2026, 11, 20),
    county: County = COUNTY,
) -> dict[str, int]:
    """Run one rule; return subject id -> amount at risk of its findings for the period."""
    with UnitOfWork(engine) as uow:
        service.detect(uow, county, operator="auditor", period=period, rules=[rule], as_of=as_of)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT subject_id, amount_fen FROM findings WHERE rule = :r"), {"r": rule}
        ).all()
    return {str(s): int(a) for s, a in rows}
