"""A full payment cycle for one county, for the audit tests.

Built with the batch services (``ledger.payments``), plus what reconciliation records
(return files, instruction outcomes, statuses, settlement and failure entries: written
here directly, the way docs/batches.md describes them) and a recovery posted through
``ledger.db.journal_store.post``. Times are fixed so that as-of cuts can be tested:

| when (UTC)  | what |
|---|---|
| 11-01       | roster import 1: 王䶮 (R0000001, card ...0001), 𠮷田花 (R0000002), 张三 (R0000003) |
| 11-01       | allocation 10,000.00 |
| 11-02       | batch 1 (regular, 2026-11) created by maker |
| 11-03       | approved by checker (accrual) |
| 11-04       | exported by cashier (funding) |
| 11-06       | return file 1: R0000001 failed AC04, R0000002 settled; R0000003 no answer |
| 11-20       | roster import 2: R0000001's new card ...9999 |
| 11-21 | batch 2 (supplementary): re-issue to the new card; approved 11-22, exported 11-23 |
| 11-25       | return file 2: the re-issue settled |
| 12-10       | R0000001 paid 600.00 improperly (Dr Receivable / Cr Assistance) |
| 12-20       | 200.00 recovered in cash (Dr Treasury / Cr Receivable) |
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger import payments
from ledger.county import example_path, load_county
from ledger.db import kept_totals
from ledger.db.accounts_store import open_accounts
from ledger.db.events import record_event
from ledger.db.journal_store import post
from ledger.db.schema import instruction_outcomes, payment_instructions, return_files
from ledger.db.state_digest import scope_name
from ledger.db.uow import UnitOfWork
from ledger.journal import NewTransaction, Posting, PostingColumns
from tests.helpers import post_lines
from tests.support.guards import triggers_off
from tests.support.roster import Person, add_people

COUNTY = load_county(example_path())
P = "dibao_rural"
TREASURY = f"Assets:Treasury:{P}"
CLEARING = "Assets:BankClearing:ICBC"

WANG = Person(
    "R0000001",
    "王䶮",
    "130123198001011234",
    "T01",
    "V0101",
    amount_fen=600_00,
    account_number="6217000000000000001",
)
WANG_NEW_CARD = "6217999999999999999"
PEOPLE = [
    WANG,
    Person(
        "R0000002",
        "𠮷田花",
        "13012319750505432X",
        "T01",
        "V0102",
        amount_fen=699_50,
        account_number="6217000000000000002",
    ),
    Person(
        "R0000003",
        "欧阳娜娜",
        "130123196001011111",
        "T02",
        "V0201",
        amount_fen=450_00,
        account_number="6217000000000000003",
    ),
]


def at(month: int, day: int, hour: int = 2) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class Cycle:
    batch_id: int
    supplementary_id: int
    file_sha256: str
    reissue_sha256: str
    instruction_ids: dict[str, int]  # key -> first instruction
    reissue_id: int


def _instruction(connection: sa.Connection, key: str, batch_id: int) -> tuple[int, int]:
    row = connection.execute(
        sa.text(
            "SELECT i.id, i.amount_fen FROM payment_instructions i JOIN recipients r"
            " ON r.id = i.recipient_id WHERE r.key = :key AND i.batch_id = :batch"
        ),
        {"key": key, "batch": batch_id},
    ).one()
    return int(row.id), int(row.amount_fen)


def _return_file(connection: sa.Connection, name: str, recorded: datetime, lines: list) -> None:
    """Record a return file and its lines the way reconciliation does: the outcome row,
    the instruction's status, and the entry (settled: Dr Payable / Cr Clearing; failed:
    Dr Treasury / Cr Clearing), each clearing posting naming the instruction."""
    file_id = connection.execute(
        return_files.insert()
        .values(
            file_name=name,
            file_sha256=hashlib.sha256(name.encode()).hexdigest(),
            format="pain.002",
            line_count=len(lines),
            settled_count=sum(1 for line in lines if line[2] == "settled"),
            failed_count=sum(1 for line in lines if line[2] == "failed"),
            pending_count=0,
            exception_count=0,
            imported_by="clerk",
            imported_at=recorded,
        )
        .returning(return_files.c.id)
    ).scalar_one()
    for number, (key, instruction_id, outcome, amount, code, text) in enumerate(lines, 1):
        payable = f"Liabilities:Payable:{P}:{key}"
        debit = payable if outcome == "settled" else TREASURY
        open_accounts(connection, [payable, CLEARING, TREASURY])
        recorded_tx = post(
            connection,
            NewTransaction(
                type="settlement" if outcome == "settled" else "payment_failure",
                effective_date=recorded.date(),
                description=f"{name} line {number}: {outcome}",
                operator="clerk",
                postings=PostingColumns.from_postings(
                    [
                        Posting(debit, amount, instruction_id),
                        Posting(CLEARING, -amount, instruction_id),
                    ]
                ),
            ),
            now=recorded,
        )
        connection.execute(
            instruction_outcomes.insert().values(
                instruction_id=instruction_id,
                return_file_id=file_id,
                line=number,
                outcome=outcome,
                reason_code=code,
                reason_text=text,
                amount_fen=amount,
                transaction_id=recorded_tx.id,
                recorded_at=recorded,
            )
        )
        values = (
            {"status": "settled", "settled_at": recorded}
            if outcome == "settled"
            else {
                "status": "failed",
                "failed_at": recorded,
                "reason_code": code,
                "reason_text": text,
            }
        )
        connection.execute(
            payment_instructions.update()
            .where(payment_instructions.c.id == instruction_id)
            .values(**values)
        )
    # What `ledger reconcile import` keeps: the file's outcome counts per batch.
    kept_totals.add_outcomes(connection, file_id)
    # What `ledger reconcile import` records: the batches' rows are on the event chain.
    batches = connection.execute(
        sa.select(payment_instructions.c.batch_id)
        .where(payment_instructions.c.id.in_([line[1] for line in lines]))
        .distinct()
    ).scalars()
    record_event(
        connection,
        operator="clerk",
        action="reconcile.imported",
        subject_type="return_file",
        subject_id=file_id,
        scopes=[scope_name("batch", int(b)) for b in batches],
    )


def build_cycle(engine: Engine, out_dir: Path) -> Cycle:
    with UnitOfWork(engine) as uow:
        add_people(uow.connection, PEOPLE)
        post_lines(
            uow.connection,
            [(TREASURY, 10_000_00), (f"Income:Appropriation:central:{P}", -10_000_00)],
            type_="allocation",
            day=date(2026, 11, 1),
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        batch_id = (
            payments.run_batches(uow, COUNTY, "2026-11", operator="maker", now=at(11, 2))
            .created[0]
            .id
        )
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch_id, operator="checker", today=date(2026, 11, 3), now=at(11, 3))
    with UnitOfWork(engine) as uow:
        exported = payments.export(
            uow,
            COUNTY,
            batch_id,
            out_dir,
            operator="cashier",
            today=date(2026, 11, 4),
            now=at(11, 4),
        )
    with UnitOfWork(engine) as uow:
        wang, wang_amount = _instruction(uow.connection, "R0000001", batch_id)
        ji, ji_amount = _instruction(uow.connection, "R0000002", batch_id)
        ouyang, _ = _instruction(uow.connection, "R0000003", batch_id)
        _return_file(
            uow.connection,
            "return-2026-11-06.xml",
            at(11, 6),
            [
                ("R0000001", wang, "failed", wang_amount, "AC04", "账户已销户 closed account"),
                ("R0000002", ji, "settled", ji_amount, None, None),
            ],
        )
        uow.commit()
    with UnitOfWork(engine) as uow:  # the corrected card arrives with the next roster
        add_people(
            uow.connection,
            [Person(**{**WANG.__dict__, "account_number": WANG_NEW_CARD})],
        )
        with triggers_off(uow.connection, "roster_imports"):
            uow.connection.execute(
                sa.text("UPDATE roster_imports SET imported_at = :t WHERE id = 2"),
                {"t": at(11, 20) if engine.dialect.name == "postgresql" else "2026-11-20 02:00:00"},
            )
        uow.commit()
    with UnitOfWork(engine) as uow:
        supplementary = (
            payments.reissue_failed(uow, COUNTY, "2026-11", operator="clerk", now=at(11, 21))
            .created[0]
            .id
        )
    with UnitOfWork(engine) as uow:
        payments.approve(
            uow, supplementary, operator="checker", today=date(2026, 11, 22), now=at(11, 22)
        )
    with UnitOfWork(engine) as uow:
        second = payments.export(
            uow,
            COUNTY,
            supplementary,
            out_dir,
            operator="cashier",
            today=date(2026, 11, 23),
            now=at(11, 23),
        )
    with UnitOfWork(engine) as uow:
        reissue, amount = _instruction(uow.connection, "R0000001", supplementary)
        _return_file(
            uow.connection,
            "return-2026-11-25.xml",
            at(11, 25),
            [("R0000001", reissue, "settled", amount, None, None)],
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        receivable = "Assets:Receivable:Recovery:R0000001"
        open_accounts(uow.connection, [receivable, f"Expenses:Assistance:{P}:T01"])
        for day, postings, kind, text in (
            (
                date(2026, 12, 10),
                [(receivable, 600_00), (f"Expenses:Assistance:{P}:T01", -600_00)],
                "recovery",
                "improper payment 2026-11 to be recovered (追缴)",
            ),
            (
                date(2026, 12, 20),
                [(TREASURY, 200_00), (receivable, -200_00)],
                "recovery_cash",
                "recovered in cash",
            ),
        ):
            post(
                uow.connection,
                NewTransaction(
                    type=kind,
                    effective_date=day,
                    description=text,
                    operator="auditor-office",
                    postings=PostingColumns.from_postings([Posting(a, m) for a, m in postings]),
                ),
                now=datetime(day.year, day.month, day.day, 2, tzinfo=UTC),
            )
        uow.commit()
    return Cycle(
        batch_id=batch_id,
        supplementary_id=supplementary,
        file_sha256=exported.sha256,
        reissue_sha256=second.sha256,
        instruction_ids={"R0000001": wang, "R0000002": ji, "R0000003": ouyang},
        reissue_id=reissue,
    )
