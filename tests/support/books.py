"""A county's ledger with an exported batch, for reconciliation tests on both databases.

``Books`` adds three recipients and funds, runs, approves and exports a batch (CSV,
fixed-width or pain.001), imports returns through the service and reads the ledger.
"""

from pathlib import Path

import sqlalchemy as sa

from ledger import payments, reconciliation
from ledger.county import example_path, load_county
from ledger.db import kept_totals
from ledger.db.balances import account_balance
from ledger.db.schema import (
    audit_events,
    instruction_outcomes,
    payment_instructions,
    postings,
    reconciliation_exceptions,
    return_files,
    transactions,
)
from ledger.db.uow import UnitOfWork
from ledger.db.verify import verify as verify_journal
from tests.helpers import post_lines
from tests.support.roster import Person, add_people

COUNTY = load_county(example_path())
P = "dibao_rural"
TREASURY = f"Assets:Treasury:{P}"
FUNDS = 10_000_00

PEOPLE = [
    Person("R0000001", "王䶮", "130123198001011234", "T01", "V0101", amount_fen=600_00,
           account_number="6217000000000000001"),
    Person("R0000002", "𠮷田花", "13012319750505432X", "T01", "V0102", amount_fen=699_50,
           account_number="6217000000000000002"),
    Person("R0000003", "张三", "130123196001011111", "T02", "V0201", amount_fen=450_00,
           account_number="6217000000000000003"),
]  # fmt: skip
TABLES = (
    return_files,
    instruction_outcomes,
    reconciliation_exceptions,
    transactions,
    postings,
    audit_events,
)


class Books:
    """One county's ledger with an exported batch, for a test."""

    def __init__(self, engine: sa.Engine, tmp_path: Path) -> None:
        self.engine = engine
        self.tmp = tmp_path

    def export(
        self, people: list[Person] = PEOPLE, profile: str | None = None, county=COUNTY
    ) -> payments.Exported:
        with UnitOfWork(self.engine) as uow:
            add_people(uow.connection, people)
            post_lines(
                uow.connection,
                [(TREASURY, FUNDS), (f"Income:Appropriation:central:{P}", -FUNDS)],
                type_="allocation",
            )
            uow.commit()
        return self.run_and_export("2026-11", profile, county)

    def run_and_export(
        self, period: str, profile: str | None = None, county=COUNTY, reissue: bool = False
    ) -> payments.Exported:
        with UnitOfWork(self.engine) as uow:
            if reissue:
                result = payments.reissue_failed(uow, county, period, operator="maker")
            else:
                result = payments.run_batches(uow, county, period, operator="maker")
        (created,) = result.created
        with UnitOfWork(self.engine) as uow:
            payments.approve(uow, created.id, operator="checker")
        with UnitOfWork(self.engine) as uow:
            return payments.export(
                uow, county, created.id, self.tmp / "out", operator="exporter",
                profile_name=profile,
            )  # fmt: skip

    def import_(self, path: Path, **kwargs) -> reconciliation.ImportResult:
        with UnitOfWork(self.engine) as uow:
            return reconciliation.import_return(uow, path, operator="reconciler", **kwargs)

    def scalar(self, sql: str, **params) -> object:
        with self.engine.connect() as c:
            return c.execute(sa.text(sql), params).scalar()

    def balance(self, account: str) -> int:
        with self.engine.connect() as c:
            return account_balance(c, account)

    def statuses(self) -> dict[str, str]:
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(payment_instructions.c.end_to_end_id, payment_instructions.c.status)
            )
            return {e: s for e, s in rows}

    def e2e(self, line: int, batch_id: int | None = None) -> str:
        query = "SELECT end_to_end_id FROM payment_instructions WHERE line_number = :n"
        if batch_id is not None:
            query += f" AND batch_id = {batch_id}"
        return str(self.scalar(query + " ORDER BY id LIMIT 1", n=line))

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as c:
            return {
                t.name: int(c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in TABLES
            }

    def state(self, batch_id: int) -> str:
        return str(self.scalar(f"SELECT state FROM batches WHERE id = {batch_id}"))

    def exceptions(self) -> list[tuple[str, int | None, str]]:
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(
                    reconciliation_exceptions.c.kind,
                    reconciliation_exceptions.c.line,
                    reconciliation_exceptions.c.detail,
                ).order_by(reconciliation_exceptions.c.id)
            )
            return [(k, line, d) for k, line, d in rows]

    def clearing(self, batch_id: int) -> int:
        with self.engine.connect() as c:
            return reconciliation.status(c, batch_id)[0]["clearing_fen"]

    def verify(self) -> None:
        with self.engine.connect() as c:
            assert verify_journal(c).ok
            assert kept_totals.problems(c) == []


CLEARING = "Assets:BankClearing:ICBC"
