"""The monthly payment batch on a real SQLite file and a real PostgreSQL database."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from ledger import payments
from ledger.accounts import account_row, payable
from ledger.batches import end_to_end_id
from ledger.county import example_path, load_county
from ledger.db.balances import account_balance, trial_balance
from ledger.db.schema import (
    accounts,
    batches,
    entitlements,
    payment_instructions,
    postings,
    transactions,
)
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.files import pain001
from tests.helpers import post_lines
from tests.support.roster import Person, add_people

COUNTY = load_county(example_path())
P = "dibao_rural"
TREASURY = f"Assets:Treasury:{P}"
CLEARING = "Assets:BankClearing:ICBC"

PEOPLE = [
    Person(
        "R0000001",
        "王䶮",
        "130123198001011234",
        "T01",
        "V0101",
        amount_fen=600_00,
        account_number="6217000000000000001",
    ),
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
        "张三",
        "130123196001011111",
        "T02",
        "V0201",
        amount_fen=450_00,
        account_number="6217000000000000003",
    ),
]


def count(connection: sa.Connection, table: sa.Table, *where: object) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    for clause in where:
        query = query.where(clause)  # type: ignore[arg-type]
    return int(connection.execute(query).scalar_one())


def arrange(engine, people=PEOPLE, *, funds: int = 10_000_00) -> None:
    with UnitOfWork(engine) as uow:
        add_people(uow.connection, list(people))
        if funds:
            post_lines(
                uow.connection,
                [(TREASURY, funds), (f"Income:Appropriation:central:{P}", -funds)],
                type_="allocation",
            )
        uow.commit()


def run(engine, period="2026-11", operator="maker", **kwargs):
    with UnitOfWork(engine) as uow:
        return payments.run_batches(uow, COUNTY, period, operator=operator, **kwargs)


def approve(engine, batch_id, operator="checker"):
    with UnitOfWork(engine) as uow:
        return payments.approve(uow, batch_id, operator=operator, today=date(2026, 11, 3))


def export(engine, batch_id, out, **kwargs):
    with UnitOfWork(engine) as uow:
        return payments.export(
            uow, COUNTY, batch_id, out, operator="cashier", today=date(2026, 11, 4), **kwargs
        )


def balance(engine, account: str) -> int:
    with engine.connect() as connection:
        return account_balance(connection, account)


def test_running_a_period_creates_a_draft_batch_with_one_instruction_per_entitlement(engine):
    arrange(engine)
    result = run(engine)
    assert [(b.program, b.bank, b.count, b.amount_fen_total) for b in result.created] == [
        (P, "ICBC", 3, 1749_50)
    ]
    assert result.created[0].townships == [("T01", 2, 1299_50), ("T02", 1, 450_00)]
    batch_id = result.created[0].id
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                payment_instructions.c.line_number,
                payment_instructions.c.entitlement_id,
                payment_instructions.c.end_to_end_id,
                payment_instructions.c.status,
                payment_instructions.c.account_holder,
            ).order_by(payment_instructions.c.line_number)
        ).all()
        assert count(connection, transactions) == 1  # only the allocation: a draft posts nothing
        state = connection.execute(sa.select(batches.c.state)).scalar_one()
    assert state == "draft"
    assert [r.line_number for r in rows] == [1, 2, 3]
    assert [r.account_holder for r in rows] == ["王䶮", "𠮷田花", "张三"]
    assert all(r.status == "pending" for r in rows)
    for r in rows:
        assert r.end_to_end_id == end_to_end_id("130123", "2026-11", r.entitlement_id, 1)
        assert len(r.end_to_end_id) <= 35
    assert batch_id == 1


def test_each_batch_numbers_its_lines_from_one_in_township_village_recipient_order(engine):
    # Four groups (two programs x two banks), rows arranged out of order on purpose.
    people = [
        Person(
            f"R{n:07d}",
            f"人{n}",
            f"13012319800101{n:03d}0",
            township,
            village,
            program=program,
            bank=bank,
            account_number=f"62170000000000{n:05d}",
        )
        for n, (program, bank, township, village) in enumerate(
            [
                ("dibao_urban", "RCC", "T02", "V0201"),
                (P, "RCC", "T02", "V0202"),
                (P, "ICBC", "T02", "V0201"),
                ("dibao_urban", "ICBC", "T01", "V0101"),
                (P, "ICBC", "T01", "V0102"),
                (P, "RCC", "T01", "V0101"),
                (P, "ICBC", "T01", "V0101"),
                ("dibao_urban", "RCC", "T01", "V0102"),
                (P, "ICBC", "T02", "V0201"),
            ],
            start=1,
        )
    ]
    with UnitOfWork(engine) as uow:
        add_people(uow.connection, people)
        uow.commit()
    created = run(engine).created
    assert [(b.program, b.bank, b.count) for b in created] == [
        ("dibao_rural", "ICBC", 4),
        ("dibao_rural", "RCC", 2),
        ("dibao_urban", "ICBC", 1),
        ("dibao_urban", "RCC", 2),
    ]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                batches.c.program,
                batches.c.bank,
                payment_instructions.c.line_number,
                payment_instructions.c.account_holder,
            )
            .join(batches, batches.c.id == payment_instructions.c.batch_id)
            .order_by(batches.c.id, payment_instructions.c.line_number)
        ).all()
    lines: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for program, bank, line, holder in rows:
        lines.setdefault((program, bank), []).append((line, holder))
    assert lines == {
        (P, "ICBC"): [(1, "人7"), (2, "人5"), (3, "人3"), (4, "人9")],
        (P, "RCC"): [(1, "人6"), (2, "人2")],
        ("dibao_urban", "ICBC"): [(1, "人4")],
        ("dibao_urban", "RCC"): [(1, "人8"), (2, "人1")],
    }


def test_running_the_same_period_again_creates_nothing_and_says_which_batch_exists(engine):
    arrange(engine)
    first = run(engine)
    second = run(engine, operator="someone-else")
    assert second.created == []
    assert second.existing == [(P, "ICBC", first.created[0].id, 0)]
    with engine.connect() as connection:
        assert count(connection, batches) == 1
        assert count(connection, entitlements) == 3
        assert count(connection, payment_instructions) == 3


def test_entitlements_respect_start_end_exit_and_status(engine):
    base = dict(township="T01", village="V0101", amount_fen=100_00)
    people = [
        Person("R0000011", "甲", "130123199001010011", **base),  # paid
        Person("R0000012", "乙", "130123199001010012", start_month="2026-12", **base),
        Person("R0000013", "丙", "130123199001010013", end_month="2026-10", **base),
        Person(
            "R0000014",
            "丁",
            "130123199001010014",
            exit_date=date(2026, 10, 31),
            status="exited",
            **base,
        ),
        Person(
            "R0000015",
            "戊",
            "130123199001010015",
            exit_date=date(2026, 11, 15),
            status="exited",
            **base,
        ),  # exits during the month: paid for it
        Person("R0000016", "己", "130123199001010016", status="suspended", **base),
        Person("R0000017", "庚", "130123199001010017", status="exited", **base),
        Person("R0000018", "辛", "130123199001010018", end_month="2026-11", **base),  # paid
        Person("R0000019", "壬", "130123199001010019", bank="RCC", **base),  # paid, other bank
    ]
    arrange(engine, people)
    result = run(engine)
    with engine.connect() as connection:
        paid = (
            connection.execute(
                sa.text(
                    "SELECT r.key FROM payment_instructions i JOIN recipients r"
                    " ON r.id = i.recipient_id ORDER BY r.key"
                )
            )
            .scalars()
            .all()
        )
    assert paid == ["R0000011", "R0000015", "R0000018", "R0000019"]
    assert sorted((b.bank, b.count) for b in result.created) == [("ICBC", 3), ("RCC", 1)]


def test_a_batch_goes_from_draft_to_approved_to_exported_with_its_entries(engine, tmp_path):
    arrange(engine, funds=5_000_00)
    batch_id = run(engine).created[0].id

    accrual = approve(engine, batch_id)
    assert accrual is not None
    assert balance(engine, f"Expenses:Assistance:{P}:T01") == 1299_50
    assert balance(engine, f"Expenses:Assistance:{P}:T02") == 450_00
    assert balance(engine, f"Liabilities:Payable:{P}:R0000001") == -600_00
    assert balance(engine, f"Liabilities:Payable:{P}:R0000002") == -699_50
    assert balance(engine, f"Liabilities:Payable:{P}:R0000003") == -450_00
    assert balance(engine, TREASURY) == 5_000_00
    with engine.connect() as connection:
        named = connection.execute(
            sa.select(sa.func.count()).where(
                postings.c.transaction_id == accrual, postings.c.instruction_id.is_not(None)
            )
        ).scalar_one()
        assert named == 3  # each payable posting names its instruction

    result = export(engine, batch_id, tmp_path / "out")
    assert not result.rewritten
    assert balance(engine, CLEARING) == 1749_50
    assert balance(engine, TREASURY) == 5_000_00 - 1749_50
    with engine.connect() as connection:
        assert sum(b.balance_fen for b in trial_balance(connection)) == 0
        row = connection.execute(sa.select(batches)).one()
        description = connection.execute(
            sa.select(transactions.c.description).where(
                transactions.c.id == result.funding_transaction_id
            )
        ).scalar_one()
    assert row.state == "exported"
    assert (row.created_by, row.approved_by, row.exported_by) == ("maker", "checker", "cashier")
    assert row.file_sha256 == result.sha256
    assert result.sha256 in description  # the file's hash is in the hash-chained journal

    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    assert manifest["sha256"] == result.sha256
    assert manifest["count"] == 3 and manifest["amount_total"] == "1749.50"
    assert manifest["approved_by"] == "checker" and manifest["created_by"] == "maker"
    content = result.path.read_bytes()
    assert content.decode("gb18030").splitlines()[0] == "总笔数,3,总金额(元),1749.50"
    assert "𠮷田花" in content.decode("gb18030")
    assert not [p for p in result.path.parent.iterdir() if p.name.endswith(".tmp")]

    # Exporting again rewrites the identical file and posts nothing.
    result.path.write_bytes(b"tampered")
    again = export(engine, batch_id, tmp_path / "out")
    assert again.rewritten and again.sha256 == result.sha256
    assert again.path.read_bytes() == content
    assert balance(engine, CLEARING) == 1749_50

    with engine.connect() as connection:
        assert payments.verify_file(connection, again.path).ok
        changed = tmp_path / "out" / again.path.name
        changed.write_bytes(content.replace(b"600.00", b"900.00"))
        verdict = payments.verify_file(connection, changed)
        assert not verdict.ok and "changed after export" in verdict.message


def test_approval_opens_each_payable_once_as_the_chart_of_accounts_defines_it(engine):
    arrange(engine)
    approve(engine, run(engine).created[0].id)
    arrange(engine, [PEOPLE[0]], funds=0)  # a new version for R0000001 only
    approve(engine, run(engine, period="2026-12").created[0].id)
    with engine.connect() as connection:
        opened = connection.execute(
            sa.select(
                accounts.c.name,
                accounts.c.kind,
                accounts.c.balance_rule,
                accounts.c.program,
                accounts.c.source,
                accounts.c.bank,
                accounts.c.recipient,
                accounts.c.township,
            )
            .where(accounts.c.name.like("Liabilities:Payable:%"))
            .order_by(accounts.c.name)
        ).all()
    expected = [account_row(payable(P, p.key)) for p in PEOPLE]
    assert [tuple(row) for row in opened] == expected


def test_approval_by_the_operator_who_created_the_batch_is_refused(engine):
    arrange(engine)
    batch_id = run(engine, operator="maker").created[0].id
    with pytest.raises(LedgerError, match="different operator"):
        approve(engine, batch_id, operator="maker")
    with engine.connect() as connection:
        assert connection.execute(sa.select(batches.c.state)).scalar_one() == "draft"
        assert count(connection, transactions) == 1


def test_exporting_an_unapproved_batch_is_refused(engine, tmp_path):
    arrange(engine)
    batch_id = run(engine).created[0].id
    with pytest.raises(LedgerError, match="must be approved"):
        export(engine, batch_id, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_exporting_with_insufficient_funds_is_refused_saying_how_much_is_missing(engine, tmp_path):
    arrange(engine, funds=1000_00)
    batch_id = run(engine).created[0].id
    approve(engine, batch_id)
    with pytest.raises(
        LedgerError,
        match=rf"insufficient funds in {TREASURY}: need 1,749\.50, available 1,000\.00, "
        r"missing 749\.50",
    ):
        export(engine, batch_id, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    assert balance(engine, TREASURY) == 1000_00
    with engine.connect() as connection:
        assert connection.execute(sa.select(batches.c.state)).scalar_one() == "approved"


def test_voiding_an_approved_batch_reverses_the_accrual_and_the_period_can_run_again(engine):
    arrange(engine)
    batch_id = run(engine).created[0].id
    approve(engine, batch_id)
    with UnitOfWork(engine) as uow:
        reversal = payments.void(
            uow, batch_id, operator="checker", reason="wrong amounts", today=date(2026, 11, 3)
        )
    assert reversal is not None
    assert balance(engine, f"Liabilities:Payable:{P}:R0000001") == 0
    assert balance(engine, f"Expenses:Assistance:{P}:T01") == 0
    with engine.connect() as connection:
        statuses = connection.execute(sa.select(payment_instructions.c.status)).scalars().all()
        assert set(statuses) == {"voided"}
    again = run(engine)
    assert len(again.created) == 1 and again.created[0].id != batch_id
    with engine.connect() as connection:
        e2e = connection.execute(sa.select(payment_instructions.c.end_to_end_id)).scalars().all()
        assert len(set(e2e)) == 6


def test_voiding_an_exported_batch_is_refused(engine, tmp_path):
    arrange(engine)
    batch_id = run(engine).created[0].id
    approve(engine, batch_id)
    export(engine, batch_id, tmp_path)
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="can no longer be voided"):
        payments.void(uow, batch_id, operator="checker", reason="too late")


def _fail(engine, key: str, code: str) -> None:
    """What reconciliation will do: mark the instruction failed and return the money."""
    with UnitOfWork(engine) as uow:
        connection = uow.connection
        instruction_id, amount = connection.execute(
            sa.text(
                "SELECT i.id, i.amount_fen FROM payment_instructions i JOIN recipients r"
                " ON r.id = i.recipient_id WHERE r.key = :key AND i.status = 'pending'"
            ),
            {"key": key},
        ).one()
        connection.execute(
            payment_instructions.update()
            .where(payment_instructions.c.id == instruction_id)
            .values(status="failed", reason_code=code)
        )
        post_lines(connection, [(TREASURY, amount), (CLEARING, -amount)], type_="failure")
        uow.commit()


def test_failed_payments_are_reissued_in_a_supplementary_batch_against_the_open_payable(
    engine, tmp_path
):
    arrange(engine)
    batch_id = run(engine).created[0].id
    approve(engine, batch_id)
    export(engine, batch_id, tmp_path)
    _fail(engine, "R0000001", "AC01")
    _fail(engine, "R0000003", "MD07")
    with UnitOfWork(engine) as uow:
        uow.connection.execute(
            sa.text(
                "UPDATE payment_instructions SET status = 'cancelled' WHERE reason_code = 'MD07'"
            )
        )
        uow.commit()
    # The roster now has R0000001's corrected card.
    arrange(
        engine,
        [Person("R0000001", "王䶮", "130123198001011234", account_number="6217999999999999999")],
        funds=0,
    )
    with UnitOfWork(engine) as uow:
        result = payments.reissue_failed(uow, COUNTY, "2026-11", operator="clerk")
    assert [(b.program, b.bank, b.count, b.amount_fen_total) for b in result.created] == [
        (P, "ICBC", 1, 600_00)
    ]
    supplementary = result.created[0].id
    with engine.connect() as connection:
        new = connection.execute(
            sa.select(payment_instructions).where(payment_instructions.c.batch_id == supplementary)
        ).one()
        old_status = connection.execute(
            sa.select(payment_instructions.c.status).where(
                payment_instructions.c.id == new.reissue_of
            )
        ).scalar_one()
    assert new.attempt == 2 and new.account_number == "6217999999999999999"
    assert new.end_to_end_id == end_to_end_id("130123", "2026-11", new.entitlement_id, 2)
    assert old_status == "reissued"

    with UnitOfWork(engine) as uow:  # nothing more to re-issue
        assert payments.reissue_failed(uow, COUNTY, "2026-11", operator="clerk").created == []

    accrued = balance(engine, f"Liabilities:Payable:{P}:R0000001")
    assert approve(engine, supplementary) is None  # no new accrual
    assert balance(engine, f"Liabilities:Payable:{P}:R0000001") == accrued == -600_00
    treasury = balance(engine, TREASURY)
    export(engine, supplementary, tmp_path)
    assert balance(engine, TREASURY) == treasury - 600_00
    assert balance(engine, CLEARING) == 1749_50 - 600_00 - 450_00 + 600_00


def test_an_exported_pain001_file_validates_against_the_official_schema(engine, tmp_path):
    arrange(engine)
    batch_id = run(engine).created[0].id
    approve(engine, batch_id)
    result = export(engine, batch_id, tmp_path, profile_name="pain001")
    pain001.validate(result.path)
    text = result.path.read_text(encoding="utf-8")
    assert "<NbOfTxs>3</NbOfTxs><CtrlSum>1749.50</CtrlSum>" in text
    assert "<Cd>SSBE</Cd>" in text and "<Nm>𠮷田花</Nm>" in text
    with pytest.raises(LedgerError, match="only be written again in that profile"):
        export(engine, batch_id, tmp_path, profile_name="csv_gb18030")
    again = export(engine, batch_id, tmp_path)
    assert again.path.read_text(encoding="utf-8") == text


def test_the_fixed_width_export_refuses_a_name_gbk_cannot_hold_and_changes_nothing(
    engine, tmp_path
):
    arrange(engine)
    batch_id = run(engine).created[0].id
    approve(engine, batch_id)
    with pytest.raises(LedgerError, match=r"recipient R0000002\): 户名.*U\+20BB7"):
        export(engine, batch_id, tmp_path / "out", profile_name="fixed_gbk")
    assert list((tmp_path / "out").iterdir()) == []
    assert balance(engine, TREASURY) == 10_000_00
