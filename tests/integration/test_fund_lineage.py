"""Fund lineage on a real SQLite file and a real PostgreSQL database, to the fen.

Three allocations (central 1,000.00 on 10-01, provincial 500.00 on 10-15, county 500.00
on 10-20) fund a batch of 600.00 + 699.50 + 450.00 (instructions in id order).
"""

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from ledger import allocations
from ledger.db import fund_lineage
from ledger.db.journal_reversal import reverse
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.findings import recovery
from ledger.funds import Allocation
from ledger.funds_policy import FundsConfig
from tests.helpers import post_lines
from tests.support.books import COUNTY, PEOPLE, TREASURY, Books, P
from tests.support.returns import csv_return
from tests.support.roster import add_people

PROPORTIONAL = replace(COUNTY, funds=FundsConfig(lineage="proportional"))
ALLOCATIONS = [
    ("central", 1000_00, date(2026, 10, 1), "民财〔2026〕1号"),
    ("provincial", 500_00, date(2026, 10, 15), "冀财社〔2026〕2号"),
    ("county", 500_00, date(2026, 10, 20), "县财〔2026〕3号"),
]


@pytest.fixture
def books(engine, tmp_path) -> Books:
    return Books(engine, tmp_path)


def allocate(books: Books, items=ALLOCATIONS) -> dict[str, int]:
    ids = {}
    with UnitOfWork(books.engine) as uow:
        for source, amount, day, doc in items:
            recorded = allocations.record(
                uow.connection,
                Allocation(source, P, amount, doc, day),
                operator="finance",
                county=COUNTY,
            )
            ids[source] = recorded.id
        uow.commit()
    return ids


def export(books: Books, county=COUNTY):
    with UnitOfWork(books.engine) as uow:
        add_people(uow.connection, PEOPLE)
        uow.commit()
    return books.run_and_export("2026-11", county=county)


def instructions(books: Books) -> list[tuple[int, int, int]]:
    with books.engine.connect() as c:
        return [
            (int(i), int(a), int(n))
            for i, a, n in c.execute(
                sa.text(
                    "SELECT id, amount_fen, line_number FROM payment_instructions"
                    " WHERE batch_id = 1 ORDER BY id"
                )
            )
        ]


def sources_of(books: Books, instruction_id: int, as_of: date | None = None):
    with books.engine.connect() as c:
        rows = fund_lineage.payment_sources(c, instruction_id, as_of=as_of)
    return [(r["source"], r["amount_fen"]) for r in rows]


def remaining(books: Books) -> dict[str, int]:
    with books.engine.connect() as c:
        return {r.source: r.amount_fen for r in fund_lineage.remaining(c, P)}


def lineage(books: Books) -> list[tuple[int, str, str, int]]:
    with books.engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT transaction_id, kind, source, amount_fen FROM fund_lineage"
                " ORDER BY transaction_id, seq"
            )
        )
        return [(int(t), k, s, int(a)) for t, k, s, a in rows]


def test_fifo_drains_the_oldest_allocation_first_and_each_payment_knows_its_sources(
    books: Books,
) -> None:
    allocate(books)
    exported = export(books)
    assert [a for _, a, _ in instructions(books)] == [600_00, 699_50, 450_00]
    funding = exported.funding_transaction_id
    assert lineage(books) == [
        (funding, "draw", "central", 1000_00),
        (funding, "draw", "provincial", 500_00),
        (funding, "draw", "county", 249_50),
    ]
    first, second, third = (i for i, _, _ in instructions(books))
    assert sources_of(books, first) == [("central", 600_00)]
    assert sources_of(books, second) == [("central", 400_00), ("provincial", 299_50)]
    assert sources_of(books, third) == [("provincial", 200_50), ("county", 249_50)]
    assert remaining(books) == {"county": 250_50}
    # As of a day before the funding, the payment drew on nothing yet.
    assert sources_of(books, first, as_of=date(2026, 10, 31)) == []


def test_proportional_splits_by_remaining_shares_with_the_largest_remainder(
    books: Books,
) -> None:
    allocate(books)
    exported = export(books, PROPORTIONAL)
    funding = exported.funding_transaction_id
    # 1749.50 in shares 2:1:1: 874.75, 437.375, 437.375 -> the odd fen to provincial
    # (listed before county in [sources]).
    assert lineage(books) == [
        (funding, "draw", "central", 874_75),
        (funding, "draw", "provincial", 437_38),
        (funding, "draw", "county", 437_37),
    ]
    first, second, third = (i for i, _, _ in instructions(books))
    assert sources_of(books, first) == [("central", 600_00)]
    assert sources_of(books, second) == [("central", 274_75), ("provincial", 424_75)]
    assert sources_of(books, third) == [("provincial", 12_63), ("county", 437_37)]
    assert remaining(books) == {"central": 125_25, "provincial": 62_62, "county": 62_63}


def test_a_bank_failure_gives_the_money_back_to_the_same_allocations_and_the_reissue_draws_again(
    books: Books,
) -> None:
    allocate(books)
    exported = export(books)
    (_, _, _), (second, _, line), _ = instructions(books)
    path = csv_return(exported.path, books.tmp / "return.csv", {line: ("失败", "户名不符")})
    books.import_(path)
    (reconciliation,) = {t for t, k, _, _ in lineage(books) if k == "return"}
    assert [r for r in lineage(books) if r[1] == "return"] == [
        (reconciliation, "return", "central", -400_00),
        (reconciliation, "return", "provincial", -299_50),
    ]
    assert remaining(books) == {"central": 400_00, "provincial": 299_50, "county": 250_50}
    assert books.balance(TREASURY) == sum(remaining(books).values())
    # The payment's sources stay on record; its money came back.
    with books.engine.connect() as c:
        rows = fund_lineage.payment_sources(c, second)
    assert [(r["source"], r["amount_fen"], r["returned"]) for r in rows] == [
        ("central", 400_00, True),
        ("provincial", 299_50, True),
    ]
    supplementary = books.run_and_export("2026-11", reissue=True)
    assert [r for r in lineage(books) if r[0] == supplementary.funding_transaction_id] == [
        (supplementary.funding_transaction_id, "draw", "central", 400_00),
        (supplementary.funding_transaction_id, "draw", "provincial", 299_50),
    ]
    assert remaining(books) == {"county": 250_50}


def test_a_reversed_funding_gives_back_and_a_used_allocation_cannot_be_reversed(
    books: Books,
) -> None:
    ids = allocate(books, [*ALLOCATIONS, ("municipal", 2000_00, date(2026, 10, 25), "市4号")])
    exported = export(books)
    # The treasury holds enough (the municipal allocation is untouched), but the central
    # allocation has been drawn on.
    refused = pytest.raises(LedgerError, match="can be reversed only while none of it is used")
    with UnitOfWork(books.engine) as uow, refused:
        reverse(
            uow.connection,
            ids["central"],
            operator="finance",
            effective_date=date(2026, 12, 1),
            reason="wrong document",
        )
    with UnitOfWork(books.engine) as uow:
        recorded = reverse(
            uow.connection,
            exported.funding_transaction_id,
            operator="finance",
            effective_date=date(2026, 12, 1),
            reason="test",
        )
        uow.commit()
    assert [r for r in lineage(books) if r[0] == recorded.id] == [
        (recorded.id, "draw", "central", -1000_00),
        (recorded.id, "draw", "provincial", -500_00),
        (recorded.id, "draw", "county", -249_50),
    ]
    assert remaining(books) == {
        "central": 1000_00,
        "provincial": 500_00,
        "county": 500_00,
        "municipal": 2000_00,
    }
    # An unused allocation can be reversed: all of it is withdrawn.
    with UnitOfWork(books.engine) as uow:
        withdrawn = reverse(
            uow.connection,
            ids["county"],
            operator="finance",
            effective_date=date(2026, 12, 1),
            reason="wrong document",
        )
        uow.commit()
    assert lineage(books)[-1] == (withdrawn.id, "withdrawn", "county", 500_00)
    assert remaining(books) == {"central": 1000_00, "provincial": 500_00, "municipal": 2000_00}


def test_the_database_refuses_changes_and_overdrawn_allocations(books: Books, engine) -> None:
    ids = allocate(books)
    export(books)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for sql in (
            "UPDATE fund_lineage SET amount_fen = 1",
            "DELETE FROM fund_lineage",
            # The central allocation is drained: one more fen is refused.
            "INSERT INTO fund_lineage (transaction_id, seq, allocation_id, program, source,"
            f" kind, amount_fen) VALUES ({ids['central']}, 9, {ids['central']}, '{P}',"
            " 'central', 'draw', 1)",
            # Giving back more than was taken is refused too.
            "INSERT INTO fund_lineage (transaction_id, seq, allocation_id, program, source,"
            f" kind, amount_fen) VALUES ({ids['county']}, 9, {ids['county']}, '{P}',"
            " 'county', 'return', -24951)",
        ):
            with pytest.raises(Exception, match=r"ledger: fund.lineage"):
                cursor.execute(sql)
            raw.rollback()
    finally:
        raw.close()
    assert remaining(books) == {"county": 250_50}


def test_recovered_money_goes_back_to_the_sources_of_the_recipients_latest_payment(
    books: Books,
) -> None:
    allocate(books)
    export(books)
    _, _, (third, _, _) = instructions(books)
    key = str(
        books.scalar(
            "SELECT r.key FROM payment_instructions i JOIN recipients r ON r.id = i.recipient_id"
            f" WHERE i.id = {third}"
        )
    )
    with UnitOfWork(books.engine) as uow:
        post_lines(
            uow.connection,
            [
                (f"Assets:Receivable:Recovery:{key}", 500_00),
                (f"Expenses:Assistance:{P}:T02", -500_00),
            ],
            type_="recovery_due",
            day=date(2026, 12, 1),
        )
        uow.commit()
    ids = []
    for amount in (300_00, 200_00):
        with UnitOfWork(books.engine) as uow:
            ids.append(
                recovery.receive_recovery(
                    uow,
                    COUNTY,
                    recipient_key=key,
                    program=P,
                    amount_fen=amount,
                    operator="finance",
                    day=date(2026, 12, 2),
                )
            )
    # The third payment drew provincial 200.50 and county 249.50: the newest allocation
    # gets its money back first; the second recovery continues where the first stopped,
    # and what the payment no longer covers goes to the newest allocation drawn on.
    assert [r for r in lineage(books) if r[1] == "recovery"] == [
        (ids[0], "recovery", "county", -249_50),
        (ids[0], "recovery", "provincial", -50_50),
        (ids[1], "recovery", "provincial", -200_00),
    ]
    assert remaining(books) == {"provincial": 250_50, "county": 500_00}
    assert books.balance(TREASURY) == sum(remaining(books).values())
