"""The one-off findings on both databases: repeated cases to a household (M15), a case
paid to a person on the lists (M16), cases concentrated on one operator or village (M17)."""

from dataclasses import replace
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ledger import oneoff_pay
from ledger.db.uow import UnitOfWork
from tests.support.findings import COUNTY, detect, refdata
from tests.support.oneoff import add, approve, approved_case, new_case


def pay(engine, period="2026-11"):
    with UnitOfWork(engine) as uow:
        return oneoff_pay.pay_now(
            uow, COUNTY, period, operator="maker", now=datetime(2026, 11, 5, tzinfo=UTC)
        )


def test_a_household_with_more_cases_in_a_year_than_allowed_is_found(engine):
    # Four small cases of one household in 2026 (the limit is 3), one in another.
    for n, day in ((1, date(2026, 2, 1)), (2, date(2026, 5, 1)), (3, date(2026, 8, 1))):
        approved_case(engine, n, household="H0001", amount="500.00", case_date=day)
    approved_case(engine, 4, household="H0001", amount="500.00", case_date=date(2026, 11, 1))
    approved_case(engine, 5, household="H0002", amount="800.00")
    pay(engine)
    found = detect(engine, "M15")
    # The period pays all five cases; the four of H0001 are found, by their applicants.
    assert found == {f"R{n:07d}": 50000 for n in (1, 2, 3, 4)}


def test_three_cases_in_a_year_are_within_the_limit(engine):
    for n in (1, 2, 3):
        approved_case(engine, n, household="H0001", amount="500.00")
    pay(engine)
    assert detect(engine, "M15") == {}


def test_a_case_paid_to_a_person_dead_before_the_case_or_on_the_staff_list_is_found(engine):
    for n in (1, 2, 3):
        approved_case(engine, n)
    with engine.connect() as connection:
        keys = dict(connection.execute(sa.text("SELECT id_number, key FROM recipients")).all())
    refdata(
        engine,
        "deaths",
        [{"id_number": new_case(1).id_number, "name": "申请人1", "death_date": date(2026, 11, 3),
          "source": "公安"},
         {"id_number": new_case(2).id_number, "name": "申请人2", "death_date": date(2026, 10, 3),
          "source": "卫健"}],
    )  # fmt: skip
    refdata(
        engine,
        "staff",
        [{"id_number": new_case(3).id_number, "name": "申请人3", "employer": "财政局",
          "account_numbers": []}],
    )  # fmt: skip
    created = pay(engine).created
    # Screening held case 2 (dead before the period) and case 3 (staff): release them, as
    # a checker may, so that the detection behind the prevention is tested.
    from ledger import holds

    with engine.connect() as connection:
        held = (
            connection.execute(sa.text("SELECT id FROM payment_instructions WHERE status = 'held'"))
            .scalars()
            .all()
        )
    with UnitOfWork(engine) as uow:
        holds.release(uow, created[0].id, held, operator="checker", reason="for the test")
    found = detect(engine, "M16")
    # Case 1's applicant died after the case was decided: not found.
    assert found == {keys[new_case(2).id_number]: 150000, keys[new_case(3).id_number]: 150000}


def test_cases_concentrated_on_one_operator_in_a_township_are_found(engine):
    county = replace(COUNTY, oneoff=replace(COUNTY.oneoff, concentration_min_cases=4))
    for n in range(1, 5):
        maker = "alice" if n < 4 else "carol"  # 3 of 4 = 75% > 40%
        village = "V0101" if n % 2 else "V0102"  # 2 of 4 = 50% > 40% too
        case = add(engine, new_case(n, amount="100.00", village=village), operator=maker)
        approve(engine, case.id)
    for n in range(5, 8):  # T02: 3 cases, below the minimum count
        approved_case(engine, n, township="T02", village="V0201", amount="100.00")
    pay(engine)
    with UnitOfWork(engine) as uow:
        from ledger.findings import service

        service.detect(
            uow, county, operator="auditor", period="2026-11", rules=["M17"],
            as_of=date(2026, 11, 20),
        )  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT subject_id, amount_fen, summary FROM findings WHERE rule = 'M17'")
        ).all()
    # Alice's cases 1-3 and village V0101's 1 and 3 (a 2-2 tie goes to the first code).
    assert [(s, a) for s, a, _ in rows] == [("T01", 30000)]
    assert "3 are added by operator alice" in rows[0][2]
    assert "2 are in village V0101" in rows[0][2]
