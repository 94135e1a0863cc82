"""集中供养 institution payments (roster 供养机构, county.toml [institutions]) on both
databases: entitlements per resident, one instruction per institution to its account,
and the accrual, bank file, failure, re-issue, cancellation, screening, sheet line,
residents attachment, findings and history of it, to the fen."""

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from ledger import documents, payments, reconciliation, sheets
from ledger.db.audit_reads import load_history
from ledger.db.uow import UnitOfWork
from ledger.errors import ValidationError
from ledger.history import build_history
from tests.support.books import CLEARING, FUNDS, TREASURY, Books, P
from tests.support.findings import COUNTY, detect, person, pid, refdata
from tests.support.returns import csv_return
from tests.support.roster import add_people

HOME = COUNTY.institutions["JLY01"]  # 示范县中心敬老院, T01, ICBC
# Three residents of JLY01 from two townships, each with their own card on the roster;
# R0000004 is paid to their own card as usual.
RESIDENTS = [
    person(1, institution="JLY01", amount_fen=300_00),
    person(2, institution="JLY01", amount_fen=212_34, township="T02", village="V0201"),
    person(3, institution="JLY01", amount_fen=150_01),
]
OTHER = person(4, amount_fen=450_00, village="V0102")
HOME_TOTAL = 300_00 + 212_34 + 150_01  # 662.35


@pytest.fixture
def books(engine, tmp_path) -> Books:
    return Books(engine, tmp_path)


def rows(books: Books, sql: str, **params) -> list[tuple]:
    with books.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(sql), params)]


def instructions(books: Books) -> list[tuple]:
    return rows(
        books,
        "SELECT b.kind, i.line_number, r.key, i.amount_fen, i.account_number,"
        " i.account_holder, i.township, i.status"
        " FROM payment_instructions i JOIN recipients r ON r.id = i.recipient_id"
        " JOIN batches b ON b.id = i.batch_id ORDER BY i.id",
    )


def test_an_institution_is_one_instruction_to_its_account_for_its_residents(books):
    exported = books.export([*RESIDENTS, OTHER])
    assert rows(
        books,
        "SELECT r.key, t.amount_fen, t.township, t.status FROM entitlements t"
        " JOIN recipients r ON r.id = t.recipient_id ORDER BY r.key",
    ) == [
        ("R0000001", 300_00, "T01", "open"),
        ("R0000002", 212_34, "T02", "open"),
        ("R0000003", 150_01, "T01", "open"),
        ("R0000004", 450_00, "T01", "open"),
    ]
    # The others' lines first, then one line per institution, to its account.
    assert instructions(books) == [
        ("regular", 1, "R0000004", 450_00, OTHER.account_number, "人4", "T01", "pending"),
        ("regular", 2, "R0000001", HOME_TOTAL, HOME.account_number, HOME.account_holder,
         "T01", "pending"),
    ]  # fmt: skip
    # Every resident's entitlement is a share of it; the shares add up to the line.
    assert rows(
        books,
        "SELECT r.key, s.amount_fen, p.institution FROM household_shares s"
        " JOIN recipients r ON r.id = s.recipient_id"
        " JOIN institution_payments p ON p.entitlement_id = s.household_entitlement_id"
        " ORDER BY r.key",
    ) == [
        ("R0000001", 300_00, "JLY01"),
        ("R0000002", 212_34, "JLY01"),
        ("R0000003", 150_01, "JLY01"),
    ]
    # The accrual credits the carrier's (first resident's) payable with the total; the
    # expense is booked to the institution's township.
    assert books.balance(f"Liabilities:Payable:{P}:R0000001") == -HOME_TOTAL
    assert books.balance(f"Liabilities:Payable:{P}:R0000002") == 0
    assert books.balance(f"Expenses:Assistance:{P}:T01") == HOME_TOTAL + 450_00
    assert books.balance(f"Expenses:Assistance:{P}:T02") == 0
    assert books.balance(CLEARING) == HOME_TOTAL + 450_00
    assert books.balance(TREASURY) == FUNDS - HOME_TOTAL - 450_00
    text = exported.path.read_bytes().decode("gb18030")
    body = text.rstrip("\r\n").split("\r\n")[2:]
    assert len(body) == 2
    assert body[1].startswith("2,") and HOME.account_number in body[1]
    assert "662.35" in body[1] and HOME.account_holder in body[1]
    books.verify()


def test_a_failed_institution_payment_is_reissued_to_the_institution_and_cancels_whole(books):
    exported = books.export([*RESIDENTS, OTHER])
    books.import_(csv_return(exported.path, books.tmp / "r.csv", {2: ("失败", "户名不符")}))
    assert books.balance(f"Liabilities:Payable:{P}:R0000001") == -HOME_TOTAL
    again = books.run_and_export("2026-11", reissue=True)
    # One instruction, the carrier's entitlement, attempt 2, still to the institution.
    assert instructions(books)[-1] == (
        "supplementary", 1, "R0000001", HOME_TOTAL, HOME.account_number, HOME.account_holder,
        "T01", "pending",
    )  # fmt: skip
    books.import_(csv_return(again.path, books.tmp / "r2.csv", {1: ("失败", "户名不符")}))
    (failed,) = rows(
        books, "SELECT id FROM payment_instructions WHERE status = 'failed' AND attempt = 2"
    )
    with UnitOfWork(books.engine) as uow:
        reconciliation.cancel(uow, str(failed[0]), operator="reconciler", reason="机构撤并")
    assert rows(
        books,
        "SELECT r.key, t.status FROM entitlements t JOIN recipients r ON r.id = t.recipient_id"
        " ORDER BY r.key",
    ) == [
        ("R0000001", "cancelled"),
        ("R0000002", "cancelled"),
        ("R0000003", "cancelled"),
        ("R0000004", "open"),
    ]
    assert books.balance(f"Liabilities:Payable:{P}:R0000001") == 0
    assert books.balance(f"Expenses:Assistance:{P}:T01") == 450_00
    books.verify()


def run(books: Books, people, county=COUNTY):
    with UnitOfWork(books.engine) as uow:
        add_people(uow.connection, people)
        uow.commit()
    with UnitOfWork(books.engine) as uow:
        return payments.run_batches(uow, county, "2026-11", operator="maker")


@pytest.mark.parametrize(
    ("people", "county", "problem"),
    [
        (
            [replace(RESIDENTS[0], institution="NOPE")],
            COUNTY,
            "institution 'NOPE' (first R0000001): the institution is not in county.toml",
        ),
        (
            [replace(RESIDENTS[0], bank="RCC")],
            COUNTY,
            "the institution's account is at ICBC (institutions.JLY01.bank)",
        ),
        (
            [replace(RESIDENTS[0], household_head=True)],
            replace(
                COUNTY,
                programs={**COUNTY.programs, P: replace(COUNTY.programs[P], pay_to="household")},
            ),
            f"program {P} pays per household",
        ),
    ],
)
def test_residents_who_cannot_be_paid_through_their_institution_refuse_the_run(
    books, people, county, problem
):
    with pytest.raises(ValidationError) as error:
        run(books, [*people, replace(OTHER, household_head=True)], county)
    assert any(problem in p for p in error.value.problems), error.value.problems
    assert books.scalar("SELECT COUNT(*) FROM batches") == 0
    assert books.scalar("SELECT COUNT(*) FROM entitlements") == 0


def test_a_resident_reported_dead_is_left_out_of_the_line_and_held_on_their_own(books):
    refdata(
        books.engine,
        "deaths",
        [{"id_number": pid(2), "name": "人2", "death_date": date(2026, 9, 1), "source": "公安"}],
    )
    (batch,) = run(books, [*RESIDENTS, OTHER]).created
    assert [(n, k, a, s) for _, n, k, a, _, _, _, s in instructions(books)] == [
        (1, "R0000004", 450_00, "pending"),
        (2, "R0000001", 300_00 + 150_01, "pending"),
        (3, "R0000002", 212_34, "held"),
    ]
    assert (batch.held_count, batch.held_fen) == (1, 212_34)
    assert rows(books, "SELECT reason, detail FROM instruction_holds") == [
        ("deceased", "institution resident R0000002 人2")
    ]
    # The attachment says the held line is in no bank file (its line number is not).
    with books.engine.connect() as connection:
        attachment = sheets.render_residents(connection, COUNTY, batch.id)
    assert attachment.count("本行不在银行文件中") == 1


CAPPED = replace(
    COUNTY,
    programs={**COUNTY.programs, P: replace(COUNTY.programs[P], monthly_cap_fen=500_00)},
)


@pytest.mark.parametrize(
    ("first", "held"),
    [
        (300_00, []),  # the line's 662.35 is above 500.00, no resident is
        (500_01, [("above_standard", "institution resident R0000001 50001")]),
    ],
    ids=["residents-within", "a-resident-above"],
)
def test_the_cap_is_each_residents_not_the_institutions_total(books, first, held):
    # The program's cap is per person: an institution's line is its residents' total and
    # is never compared with it; a resident above it holds the line, as a household
    # member above a per-person cap does.
    people = [replace(RESIDENTS[0], amount_fen=first), *RESIDENTS[1:], OTHER]
    (batch,) = run(books, people, county=CAPPED).created
    assert rows(books, "SELECT reason, detail FROM instruction_holds") == held
    line = first + 212_34 + 150_01
    assert (batch.held_count, batch.held_fen) == ((1, line) if held else (0, 0))


def test_the_sheet_and_the_residents_attachment_add_up_to_the_line(books):
    books.export([*RESIDENTS, OTHER])
    (batch_id,) = rows(books, "SELECT id FROM batches")[0]
    with books.engine.connect() as connection:
        sheet = sheets.render_sheet(connection, COUNTY, batch_id, stage="export")
        context = sheets.institutions.residents_context(connection, COUNTY, batch_id)
        zh = sheets.render_residents(connection, COUNTY, batch_id)
        en = sheets.render_residents(connection, COUNTY, batch_id, lang="en")
        full = sheets.render_residents(connection, COUNTY, batch_id, unmask=True)
    assert "其中：集中供养（机构）" in sheet
    assert "1 个机构 / 3 人" in sheet and "662.35" in sheet
    assert "其中：按户发放至户主账户" not in sheet  # residents are not a household
    (line,) = context["lines"]
    assert (line["line"], line["name"], line["amount"]) == (2, "示范县中心敬老院", "662.35")
    assert [(r["key"], r["amount"]) for r in line["residents"]] == [
        ("R0000001", "300.00"),
        ("R0000002", "212.34"),
        ("R0000003", "150.01"),
    ]
    assert (context["resident_count"], context["total"]) == (3, "662.35")
    assert "集中供养人员明细" in zh and "河口乡" in zh and "人2" in zh
    assert pid(2) not in zh and pid(2)[:6] + "********" + pid(2)[-4:] in zh
    assert HOME.account_number not in zh
    assert "care institution residents" in en and "Subtotal (equals the line)" in en
    assert pid(2) in full and HOME.account_number in full


def test_findings_read_an_institution_payment_per_resident(books, engine):
    books.export([*RESIDENTS, OTHER])
    # The account is the institution's and receives for three households: by right.
    assert detect(engine, "D01") == {}
    assert detect(engine, "D02") == {}
    # A resident reported dead after the run: M01 finds them with their share.
    refdata(
        engine,
        "deaths",
        [{"id_number": pid(2), "name": "人2", "death_date": date(2026, 10, 15), "source": "公安"}],
    )
    assert detect(engine, "M01") == {"R0000002": 212_34}


def test_a_residents_history_shows_the_institution_payment_as_theirs(books):
    books.export([*RESIDENTS, OTHER])
    with books.engine.connect() as connection:
        document = build_history(load_history(connection, "R0000002"), as_of=None, unmask=False)
    paid = [e for e in document["events"] if e.get("amount") == "212.34"]
    assert paid, document["events"]
    assert all(HOME.account_number not in str(e) for e in document["events"])
    assert any(HOME.account_number[:6] in str(e) for e in paid)
    # The 对账单 shows their 212.34, not the line's 662.35.
    with books.engine.connect() as connection:
        statement = documents.render_statement(
            documents.statement_context(load_history(connection, "R0000002"), COUNTY, 2026)
        )
    assert "212.34" in statement and "662.35" not in statement


def test_d02_does_not_count_an_institutions_residents_of_two_programs_as_unrelated(books, engine):
    # Two programs pay the home: two lines (two carriers) to one account, for residents
    # of several households, neither held at the run (screening) nor a D02 finding.
    tekun = person(5, institution="JLY01", program="tekun", amount_fen=800_00)
    run(books, [*RESIDENTS, tekun])
    assert rows(
        books,
        "SELECT COUNT(DISTINCT recipient_id), MIN(status), MAX(status)"
        " FROM payment_instructions WHERE account_number = :a",
        a=HOME.account_number,
    ) == [(2, "pending", "pending")]
    assert detect(engine, "D02") == {}


def test_without_a_credit_code_the_line_carries_no_id_and_is_exported(books):
    county = replace(COUNTY, institutions={"JLY01": replace(HOME, credit_code="")})
    exported = books.export([*RESIDENTS, OTHER], county=county)
    assert rows(books, "SELECT id_number FROM payment_instructions WHERE line_number = 2") == [
        ("",)
    ]
    body = exported.path.read_bytes().decode("gb18030").rstrip("\r\n").split("\r\n")[2:]
    assert HOME.account_number in body[1] and "662.35" in body[1]


def test_two_institutions_without_a_credit_code_are_not_one_person_in_two_townships(books):
    county = replace(
        COUNTY,
        institutions={
            "JLY01": replace(HOME, credit_code=""),
            "JLY02": replace(
                HOME, code="JLY02", name="河口乡敬老院", township="T02",
                account_number="0402020109300099999", account_holder="河口乡敬老院",
                credit_code="",
            ),
        },
    )  # fmt: skip
    other_home = person(5, institution="JLY02", township="T02", village="V0201")
    (batch,) = run(books, [*RESIDENTS, other_home], county).created
    assert batch.held_count == 0
    assert [(t, a) for _, _, _, a, _, _, t, _ in instructions(books)] == [
        ("T01", HOME_TOTAL),
        ("T02", 600_00),
    ]


def test_institution_payments_are_append_only(books):
    run(books, [*RESIDENTS, OTHER])
    for sql in (
        "UPDATE institution_payments SET institution = 'JLY02'",
        "DELETE FROM institution_payments",
    ):
        with (
            pytest.raises(sa.exc.DBAPIError, match=r"append-only|never"),
            books.engine.begin() as connection,
        ):
            connection.exec_driver_sql(sql)
    assert rows(books, "SELECT institution FROM institution_payments") == [("JLY01",)]
