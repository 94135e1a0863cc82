"""Household payments (按户发放, county.toml pay_to = "household") on both databases:
entitlements per member, one instruction per household to the 户主's card, and the
accrual, bank file, bank failure, re-issue, cancellation and screening of it, to the fen."""

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from ledger import payments, reconciliation
from ledger.db.uow import UnitOfWork
from ledger.errors import ValidationError
from tests.support.books import CLEARING, FUNDS, TREASURY, Books, P
from tests.support.findings import COUNTY, person, pid, refdata
from tests.support.returns import csv_return
from tests.support.roster import add_people

HOUSEHOLD_COUNTY = replace(
    COUNTY, programs={**COUNTY.programs, P: replace(COUNTY.programs[P], pay_to="household")}
)
HEAD_CARD = "6217000000000000001"
# Household H1: the head (300.00), two members (212.34, 150.01), together within the
# program's 700.00 cap per household (paid_per); all rows carry the
# head's card, as a household program's roster does. H2: a household of one.
H1 = [
    person(1, household_id="H1", household_head=True, amount_fen=300_00,
           account_number=HEAD_CARD),
    person(2, household_id="H1", amount_fen=212_34, account_number=HEAD_CARD,
           account_holder="人1"),
    person(3, household_id="H1", amount_fen=150_01, account_number=HEAD_CARD,
           account_holder="人1"),
]  # fmt: skip
H2 = [person(4, household_id="H2", household_head=True, amount_fen=450_00)]
H1_TOTAL = 300_00 + 212_34 + 150_01


@pytest.fixture
def books(engine, tmp_path) -> Books:
    return Books(engine, tmp_path)


def rows(books: Books, sql: str, **params) -> list[tuple]:
    with books.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(sql), params)]


def instructions(books: Books) -> list[tuple]:
    return rows(
        books,
        "SELECT b.kind, i.line_number, r.key, i.amount_fen, i.account_number, i.status"
        " FROM payment_instructions i JOIN recipients r ON r.id = i.recipient_id"
        " JOIN batches b ON b.id = i.batch_id ORDER BY i.id",
    )


def test_a_household_is_one_instruction_to_the_heads_card_for_its_members_total(books):
    exported = books.export(H1 + H2, county=HOUSEHOLD_COUNTY)
    # Entitlements stay per person ...
    assert rows(
        books,
        "SELECT r.key, t.amount_fen, t.status FROM entitlements t"
        " JOIN recipients r ON r.id = t.recipient_id ORDER BY r.key",
    ) == [
        ("R0000001", 300_00, "open"),
        ("R0000002", 212_34, "open"),
        ("R0000003", 150_01, "open"),
        ("R0000004", 450_00, "open"),
    ]
    # ... the bank gets one line per household, the head's card, the members' total.
    assert instructions(books) == [
        ("regular", 1, "R0000001", H1_TOTAL, HEAD_CARD, "pending"),
        ("regular", 2, "R0000004", 450_00, person(4).account_number, "pending"),
    ]
    assert rows(
        books,
        "SELECT r.key, s.amount_fen, h.recipient_id = r.id FROM household_shares s"
        " JOIN recipients r ON r.id = s.recipient_id"
        " JOIN entitlements h ON h.id = s.household_entitlement_id ORDER BY r.key",
    ) == [
        ("R0000001", 300_00, True),
        ("R0000002", 212_34, False),
        ("R0000003", 150_01, False),
        ("R0000004", 450_00, True),
    ]
    # The accrual: the head's payable carries the household's total; the members have
    # no payable of their own; the expense is the sum of all entitlements.
    assert books.balance(f"Liabilities:Payable:{P}:R0000001") == -H1_TOTAL
    assert books.balance(f"Liabilities:Payable:{P}:R0000002") == 0
    assert books.balance(f"Expenses:Assistance:{P}:T01") == H1_TOTAL + 450_00
    assert books.balance(CLEARING) == H1_TOTAL + 450_00
    assert books.balance(TREASURY) == FUNDS - H1_TOTAL - 450_00
    # The bank file: two lines, the household's at 662.35 yuan to the head's card.
    text = exported.path.read_bytes().decode("gb18030")
    body = text.rstrip("\r\n").split("\r\n")[2:]
    assert len(body) == 2
    assert body[0].startswith("1,") and HEAD_CARD in body[0] and "662.35" in body[0]
    books.verify()


def test_a_failed_household_payment_fails_every_member_and_is_reissued_whole(books):
    exported = books.export(H1 + H2, county=HOUSEHOLD_COUNTY)
    books.import_(csv_return(exported.path, books.tmp / "r.csv", {1: ("失败", "户名不符")}))
    # The money is back in the treasury; the head's payable is still owed the total.
    assert books.balance(TREASURY) == FUNDS - 450_00
    assert books.balance(f"Liabilities:Payable:{P}:R0000001") == -H1_TOTAL
    assert books.balance(CLEARING) == 0
    # Re-issued whole: one instruction, the same entitlement (the head's), attempt 2.
    again = books.run_and_export("2026-11", county=HOUSEHOLD_COUNTY, reissue=True)
    assert instructions(books)[-1] == (
        "supplementary",
        1,
        "R0000001",
        H1_TOTAL,
        HEAD_CARD,
        "pending",
    )
    assert rows(
        books,
        "SELECT attempt, entitlement_id = (SELECT entitlement_id FROM payment_instructions"
        " WHERE line_number = 1 ORDER BY id LIMIT 1) FROM payment_instructions"
        " ORDER BY id DESC LIMIT 1",
    ) == [(2, True)]
    # Every member's entitlement is paid by it: the shares name the household's.
    assert rows(
        books,
        "SELECT COUNT(*) FROM household_shares s JOIN payment_instructions i"
        " ON i.entitlement_id = s.household_entitlement_id WHERE i.attempt = 2",
    ) == [(3,)]
    books.import_(csv_return(again.path, books.tmp / "r2.csv", {}))
    assert books.balance(f"Liabilities:Payable:{P}:R0000001") == 0
    assert books.balance(TREASURY) == FUNDS - 450_00 - H1_TOTAL
    assert books.balance(CLEARING) == 0
    books.verify()


def test_cancelling_a_failed_household_payment_cancels_every_members_entitlement(books):
    exported = books.export(H1 + H2, county=HOUSEHOLD_COUNTY)
    books.import_(csv_return(exported.path, books.tmp / "r.csv", {1: ("失败", "户名不符")}))
    (failed,) = rows(books, "SELECT id FROM payment_instructions WHERE status = 'failed'")
    with UnitOfWork(books.engine) as uow:
        reconciliation.cancel(uow, str(failed[0]), operator="reconciler", reason="户主死亡")
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
    # Dr the head's payable / Cr the expense: the household's total, nothing else.
    assert books.balance(f"Liabilities:Payable:{P}:R0000001") == 0
    assert books.balance(f"Expenses:Assistance:{P}:T01") == 450_00
    books.verify()


def run(books: Books, people, county=HOUSEHOLD_COUNTY):
    with UnitOfWork(books.engine) as uow:
        add_people(uow.connection, people)
        uow.commit()
    with UnitOfWork(books.engine) as uow:
        return payments.run_batches(uow, county, "2026-11", operator="maker")


def batch_count(books: Books) -> int:
    return int(books.scalar("SELECT COUNT(*) FROM batches"))


@pytest.mark.parametrize(
    ("people", "problem"),
    [
        ([replace(H1[0], household_head=False), *H1[1:]], "P household H1: no 户主"),
        ([H1[0], replace(H1[1], household_head=True), H1[2]], "2 members are marked 户主"),
        ([H1[0], replace(H1[1], bank="RCC"), H1[2]], "members at 2 banks"),
        ([H1[0], replace(H1[1], village="V0102"), H1[2]], "members in 2 villages"),
    ],
)
def test_a_household_that_cannot_be_paid_as_one_refuses_the_run(books, people, problem):
    with pytest.raises(ValidationError) as error:
        run(books, people)
    assert any(problem.replace("P ", f"{P} ") in p for p in error.value.problems), (
        error.value.problems
    )
    assert batch_count(books) == 0
    assert books.scalar("SELECT COUNT(*) FROM entitlements") == 0


def test_a_person_program_pays_every_member_to_their_own_card(books):
    run(books, H1, county=COUNTY)
    assert [(k, a) for _, _, k, a, _, _ in instructions(books)] == [
        ("R0000001", 300_00),
        ("R0000002", 212_34),
        ("R0000003", 150_01),
    ]
    assert books.scalar("SELECT COUNT(*) FROM household_shares") == 0


def test_a_member_reported_dead_holds_the_household_payment(books):
    refdata(
        books.engine,
        "deaths",
        [{"id_number": pid(2), "name": "人2", "death_date": date(2026, 9, 1), "source": "公安"}],
    )
    result = run(books, H1 + H2)
    (batch,) = result.created
    assert (batch.held_count, batch.held_fen) == (1, H1_TOTAL)
    assert rows(
        books,
        "SELECT h.reason, h.detail FROM instruction_holds h ORDER BY h.id",
    ) == [("deceased", "household member R0000002 人2")]


def test_a_per_person_cap_is_checked_on_each_members_share(books):
    program = replace(COUNTY.programs[P], pay_to="household", paid_per="person")
    county = replace(COUNTY, programs={**COUNTY.programs, P: program})
    over = replace(H1[2], amount_fen=program.monthly_cap_fen + 1)
    (batch,) = run(books, [*H1[:2], over], county=county).created
    # The household's total is above the cap, but only the member's share counts.
    assert (batch.held_count, batch.held_fen) == (1, 300_00 + 212_34 + over.amount_fen)
    assert rows(books, "SELECT reason, detail FROM instruction_holds") == [
        ("above_standard", f"household member R0000003 {over.amount_fen}")
    ]


def paid_household_month(engine, tmp_path, people):
    """The people enrolled, funded, November run, released, approved and exported."""
    from tests.support.findings import enrol, fund, pay_period

    enrol(engine, people)
    fund(engine, {P})
    return pay_period(engine, tmp_path, county=HOUSEHOLD_COUNTY)


def test_a_dead_member_paid_inside_the_household_payment_is_found_with_their_share(
    engine, tmp_path
):
    from tests.support.findings import detect

    refdata(
        engine,
        "deaths",
        [{"id_number": pid(3), "name": "人3", "death_date": date(2026, 9, 1), "source": "公安"}],
    )
    paid_household_month(engine, tmp_path, H1 + H2)
    found = detect(engine, "M01", county=HOUSEHOLD_COUNTY)
    assert found == {"R0000003": 150_01}


def test_members_paid_to_the_heads_card_are_neither_proxies_nor_a_shared_account(engine, tmp_path):
    from tests.support.findings import detect

    paid_household_month(engine, tmp_path, H1 + H2)
    assert detect(engine, "D01", county=HOUSEHOLD_COUNTY) == {}
    assert detect(engine, "D02", county=HOUSEHOLD_COUNTY) == {}


def test_one_card_for_two_households_is_still_a_shared_account(engine, tmp_path):
    from tests.support.findings import detect

    other = [replace(H2[0], account_number=HEAD_CARD, account_holder="人1")]
    paid_household_month(engine, tmp_path, H1 + other)
    found = detect(engine, "D02", county=HOUSEHOLD_COUNTY)
    # The card's own household (the larger) is not at risk; the other household is.
    assert found == {HEAD_CARD: 450_00}
    # The other household's head is paid to a card in another name: a proxy (D01).
    assert detect(engine, "D01", county=HOUSEHOLD_COUNTY) == {"R0000004": 450_00}


def test_each_members_statement_shows_their_own_share_paid_by_the_household_payment(books):
    from ledger.db.audit_reads import load_history
    from ledger.documents import statement_context

    exported = books.export(H1 + H2, county=HOUSEHOLD_COUNTY)
    books.import_(csv_return(exported.path, books.tmp / "r.csv", {}))
    for n, amount in ((1, "300.00"), (2, "212.34"), (3, "150.01")):
        with books.engine.connect() as connection:
            raw = load_history(connection, pid(n))
        (row,) = statement_context(raw, HOUSEHOLD_COUNTY, 2026)["rows"]
        assert (row["month"], row["entitled"], row["paid"]) == ("2026-11", amount, amount)
        assert row["account"] == "621700*********0001"  # the head's card, masked


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("zh", "其中：按户发放至户主账户</td><td class=\"n\">2 户 / 4 人</td>"
               "<td class=\"n\">1,112.35"),
        ("en", "of which paid per household to the head&#39;s card</td><td class=\"n\">2 households"
               " / 4 persons</td><td class=\"n\">1,112.35"),
    ],
)  # fmt: skip
def test_the_approval_sheet_counts_households_and_their_members(books, lang, line):
    from ledger import sheets

    (batch,) = run(books, H1 + H2).created
    assert (batch.count, batch.amount_fen_total) == (2, H1_TOTAL + 450_00)
    with books.engine.connect() as connection:
        html = sheets.render_sheet(connection, HOUSEHOLD_COUNTY, batch.id, stage="draft",
                                   lang=lang)  # fmt: skip
    assert line in html


def test_a_person_programs_sheet_has_no_household_line(books):
    from ledger import sheets

    (batch,) = run(books, H2, county=COUNTY).created
    with books.engine.connect() as connection:
        html = sheets.render_sheet(connection, COUNTY, batch.id, stage="draft")
    assert "按户发放" not in html


def test_a_voided_household_batch_runs_again_with_new_entitlements_and_shares(books):
    (batch,) = run(books, H1 + H2).created
    with UnitOfWork(books.engine) as uow:
        payments.void(uow, batch.id, operator="checker", reason="wrong month")
    with UnitOfWork(books.engine) as uow:
        (again,) = payments.run_batches(uow, HOUSEHOLD_COUNTY, "2026-11", operator="maker").created
    assert (again.count, again.amount_fen_total) == (2, H1_TOTAL + 450_00)
    assert rows(
        books,
        "SELECT t.status, COUNT(*) FROM household_shares s"
        " JOIN entitlements t ON t.id = s.entitlement_id GROUP BY t.status ORDER BY t.status",
    ) == [("open", 4), ("voided", 4)]


@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE household_shares SET amount_fen = amount_fen + 1",
        "UPDATE household_shares SET recipient_id = 4",
        "DELETE FROM household_shares",
    ],
)
def test_the_database_refuses_to_change_a_households_shares(books, attack):
    run(books, H1 + H2)
    with pytest.raises(sa.exc.DBAPIError, match=r"ledger"), books.engine.begin() as connection:
        connection.exec_driver_sql(attack)
    assert books.scalar("SELECT COUNT(*) FROM household_shares") == 4


def test_audit_verify_holds_a_households_shares_to_what_the_run_recorded(books):
    from ledger.db.event_verify import verify_events

    alone = person(5, program="tekun", amount_fen=500_00)  # a person program: no share
    with UnitOfWork(books.engine) as uow:
        add_people(uow.connection, [*H1, alone])
        uow.commit()
    with UnitOfWork(books.engine) as uow:
        created = payments.run_batches(uow, HOUSEHOLD_COUNTY, "2026-11", operator="maker")
    assert len(created.created) == 2
    with books.engine.connect() as connection:
        assert verify_events(connection).problems == []
    # A share slipped in outside the ledger: R0000005 made a member of household H1.
    with books.engine.begin() as connection:
        inserted = connection.exec_driver_sql(
            "INSERT INTO household_shares (entitlement_id, household_entitlement_id, batch_id,"
            " recipient_id, amount_fen, household_id) SELECT t.id, s.household_entitlement_id,"
            " t.batch_id, t.recipient_id, t.amount_fen, 'H1' FROM entitlements t"
            " JOIN household_shares s ON s.entitlement_id = s.household_entitlement_id"
            " WHERE t.recipient_id = (SELECT id FROM recipients WHERE key = 'R0000005')"
        ).rowcount
    assert inserted == 1
    with books.engine.connect() as connection:
        problems = verify_events(connection).problems
    assert [p[2].split(":")[0] for p in problems] == ["household_shares"], problems
