"""Cash payments (现金发放, 备用金) on both databases: a bank with cash = true pays
people without an account against a signed receipt list; the signed list imported as
its return settles the collected lines and fails the others; unsigned cash is W07."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from ledger import payments
from ledger.cash import receipt_list
from ledger.county import Bank
from ledger.db.audit_reads import load_history
from ledger.db.uow import UnitOfWork
from ledger.documents import statement_context
from ledger.errors import LedgerError, ValidationError
from ledger.findings import RULES_BY_ID, Context
from tests.roster_support import county_file, run
from tests.support.books import FUNDS, TREASURY, Books, P
from tests.support.findings import COUNTY
from tests.support.roster import Person, add_people

CASH = "CASH"
CASH_COUNTY = replace(
    COUNTY, banks={**COUNTY.banks, CASH: Bank(CASH, "乡镇现金发放", "", "cash_receipt", True)}
)
CLEARING = f"Assets:BankClearing:{CASH}"
PEOPLE = [
    Person("R0000001", "王䶮", "130123198001011234", "T01", "V0101", amount_fen=600_00,
           bank=CASH, account_number=""),
    Person("R0000002", "𠮷田花", "13012319750505432X", "T01", "V0102", amount_fen=699_50,
           bank=CASH, account_number="", account_holder="田大"),
    Person("R0000003", "张三", "130123196001011111", "T02", "V0201", amount_fen=450_01,
           bank=CASH, account_number=""),
]  # fmt: skip
TOTAL = 600_00 + 699_50 + 450_01


@pytest.fixture
def books(engine, tmp_path) -> Books:
    return Books(engine, tmp_path)


def test_cash_is_drawn_at_export_and_settled_by_the_signed_receipt_list(books):
    exported = books.export(PEOPLE, county=CASH_COUNTY)
    # Export draws the cash from the special account into the cash clearing account.
    assert books.balance(CLEARING) == TOTAL
    assert books.balance(TREASURY) == FUNDS - TOTAL
    # The batch's file is the receipt list: no account column, room to sign.
    text = exported.path.read_bytes().decode("gb18030")
    lines = text.rstrip("\r\n").split("\r\n")
    assert lines[0] == "总笔数,3,总金额(元),1749.51"
    assert lines[1] == "序号,姓名,身份证号,金额(元),摘要,业务流水号,领取人签字,领取日期"
    assert lines[3].startswith("2,田大,13012319750505432X,699.50,")
    # The signed list comes back: two collected, one not (the cash goes back).
    signed = books.tmp / "signed.csv"
    body = [",".join(line.split(",")[:6]) for line in lines[2:]]
    status = {1: "已领取,", 2: "未领取,本人外出务工", 3: "已领取,"}
    signed.write_bytes(
        (
            "\r\n".join(
                [lines[0], "序号,姓名,身份证号,金额(元),摘要,业务流水号,领取状态,备注"]
                + [f"{row},{status[n]}" for n, row in enumerate(body, start=1)]
            )
            + "\r\n"
        ).encode("gb18030")
    )
    result = books.import_(signed)
    assert (result.settled, result.failed) == (2, 1)
    # Collected: the payables are paid out of the cash; not collected: the cash is back.
    assert books.balance(f"Liabilities:Payable:{P}:R0000001") == 0
    assert books.balance(f"Liabilities:Payable:{P}:R0000003") == 0
    assert books.balance(f"Liabilities:Payable:{P}:R0000002") == -699_50
    assert books.balance(CLEARING) == 0
    assert books.balance(TREASURY) == FUNDS - 600_00 - 450_01
    books.verify()
    # The statement (对账单) says the money was paid in cash, not to a card.
    with books.engine.connect() as connection:
        raw = load_history(connection, "R0000001")
    rows = statement_context(raw, CASH_COUNTY, 2026)["rows"]
    assert [(r["account"], r["paid"]) for r in rows] == [("现金", "600.00")]


def test_the_printed_list_matches_the_file_and_masks_ids(books):
    exported = books.export(PEOPLE, county=CASH_COUNTY)
    with books.engine.connect() as connection:
        batch_id = int(connection.execute(sa.text("SELECT MAX(id) FROM batches")).scalar_one())
        listed = receipt_list(connection, CASH_COUNTY, batch_id)
        english = receipt_list(connection, CASH_COUNTY, batch_id, lang="en", unmask=True)
    assert (listed.count, listed.amount_fen) == (3, TOTAL)
    assert "现金发放签收表" in listed.html and "领取人签字" in listed.html
    assert "（北京时间）" in listed.html and " UTC；" not in listed.html  # the township's clock
    assert "1,749.51" in listed.html and "699.50" in listed.html
    assert "130123198001011234" not in listed.html and "130123********1234" in listed.html
    assert "Cash receipt list" in english.html and "130123198001011234" in english.html
    # One table per township and village (T01: two villages, T02: one).
    assert listed.html.count("<section>") == 3
    assert exported.count == 3


def test_a_receipt_list_is_refused_for_a_bank_batch_and_before_export(books):
    books.export(county=CASH_COUNTY)  # card payees at ICBC: batch 1
    with UnitOfWork(books.engine) as uow:
        add_people(
            uow.connection, [replace(PEOPLE[0], key="R0000009", id_number="130123198001019999")]
        )
        uow.commit()
    with UnitOfWork(books.engine) as uow:
        created = payments.run_batches(uow, CASH_COUNTY, "2026-12", operator="maker").created
    (draft,) = [c for c in created if c.bank == CASH]
    with books.engine.connect() as connection:
        with pytest.raises(LedgerError, match="not a cash payment"):
            receipt_list(connection, CASH_COUNTY, 1)
        with pytest.raises(LedgerError, match="is draft: a receipt list is printed once"):
            receipt_list(connection, CASH_COUNTY, draft.id)
        with pytest.raises(LedgerError, match="does not exist"):
            receipt_list(connection, CASH_COUNTY, 99)


def _detect(books: Books, rule: str, as_of: date) -> dict[str, int]:
    with books.engine.connect() as connection:
        context = Context(connection, CASH_COUNTY, "2026-11", as_of)
        found = RULES_BY_ID[rule].detect(context)
    return dict(zip(found["subject_id"], found["amount_fen"], strict=True))


def test_unsigned_cash_is_withheld_after_the_receipt_days_and_not_a_clearing_finding(books):
    books.export(PEOPLE, county=CASH_COUNTY)
    exported_on = books.scalar("SELECT exported_at FROM batches")
    day = (
        exported_on.date()
        if isinstance(exported_on, datetime)
        else datetime.fromisoformat(str(exported_on)).replace(tzinfo=UTC).date()
    )
    limit = CASH_COUNTY.thresholds["cash_receipt_days"]
    assert _detect(books, "W07", day.fromordinal(day.toordinal() + limit)) == {}
    late = day.fromordinal(day.toordinal() + limit + 1)
    assert _detect(books, "W07", late) == {
        "R0000001": 600_00,
        "R0000002": 699_50,
        "R0000003": 450_01,
    }
    # The bank rule leaves cash to W07 (no double count).
    assert _detect(books, "W02", late) == {}


def test_the_commands_print_the_list_and_import_the_signed_one(books, db_url, tmp_path):
    exported = books.export(PEOPLE, county=CASH_COUNTY)
    county = county_file(tmp_path)
    out = tmp_path / "receipts.html"
    printed = run(db_url, "report", "receipts", "1", "--out", out, "--county", county)
    assert printed.exit_code == 0, printed.output
    assert "3 payments, 1,749.51 yuan" in printed.output
    assert "130123********1234" in out.read_text(encoding="utf-8")
    lines = exported.path.read_bytes().decode("gb18030").rstrip("\r\n").split("\r\n")
    signed = tmp_path / "signed.csv"
    rows = [",".join(line.split(",")[:6]) + ",已领取," for line in lines[2:]]
    titles = "序号,姓名,身份证号,金额(元),摘要,业务流水号,领取状态,备注"
    signed.write_bytes("\r\n".join([lines[0], titles, *rows, ""]).encode("gb18030"))
    imported = run(
        db_url, "reconcile", "import", signed, "--operator", "reconciler", "--county", county
    )
    assert imported.exit_code == 0, imported.output
    assert books.balance(CLEARING) == 0
    assert books.state(1) == "reconciled"


def test_a_signed_list_with_an_unknown_status_is_refused_whole(books):
    exported = books.export(PEOPLE, county=CASH_COUNTY)
    lines = exported.path.read_bytes().decode("gb18030").rstrip("\r\n").split("\r\n")
    titles = "序号,姓名,身份证号,金额(元),摘要,业务流水号,领取状态,备注"
    rows = [",".join(line.split(",")[:6]) + ",已领取," for line in lines[2:]]
    rows[1] = rows[1].replace(",已领取,", ",签了,")  # not a status the list knows
    signed = books.tmp / "signed.csv"
    signed.write_bytes("\r\n".join([lines[0], titles, *rows, ""]).encode("gb18030"))
    before = books.counts()
    with pytest.raises(ValidationError, match=r"signed\.csv") as refused:
        books.import_(signed)
    assert any("unknown status text '签了'" in p for p in refused.value.problems)
    assert books.counts() == before  # nothing imported, nothing posted
    assert books.balance(CLEARING) == TOTAL
