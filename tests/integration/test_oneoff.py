"""临时救助 one-off cases on both databases: maker-checker, caps and the band above,
paid once in the next run or an urgent batch, entries to the fen, screening, refusals."""

from datetime import date

import pytest
import sqlalchemy as sa

from ledger import oneoff_pay, payments
from ledger.db.balances import account_balance
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from tests.support.findings import COUNTY, enrol, fund, person, refdata
from tests.support.oneoff import NOW, add, approve, approved_case, new_case


def count(engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def run(engine, period="2026-11"):
    with UnitOfWork(engine) as uow:
        return payments.run_batches(uow, COUNTY, period, operator="maker", now=NOW)


def balance(engine, name: str) -> int:
    with engine.connect() as connection:
        return account_balance(connection, name)


def test_an_approved_case_is_paid_once_in_the_next_run_with_its_entries_to_the_fen(
    engine, tmp_path
):
    enrol(engine, [person(1)])
    fund(engine, {"dibao_rural", "linshi"})
    case_id = approved_case(engine, amount="1234.56")
    result = run(engine)
    kinds = {c.program: c for c in result.created}
    assert set(kinds) == {"dibao_rural", "linshi"}
    oneoff_batch = kinds["linshi"]
    assert (oneoff_batch.count, oneoff_batch.amount_fen_total) == (1, 123456)
    with engine.connect() as connection:
        kind, entitlement_kind, enrolment, case = connection.execute(
            sa.text(
                "SELECT b.kind, t.kind, t.enrolment_id, t.case_id FROM batches b"
                " JOIN entitlements t ON t.batch_id = b.id WHERE b.id = :b"
            ),
            {"b": oneoff_batch.id},
        ).one()
    assert (kind, entitlement_kind, enrolment, case) == ("oneoff", "oneoff", None, case_id)
    with UnitOfWork(engine) as uow:
        payments.approve(uow, oneoff_batch.id, operator="checker", today=date(2026, 11, 3))
    recipient = "R0000002"  # the applicant, registered by the case (R0000001 is enrolled)
    assert balance(engine, "Expenses:Assistance:linshi:T01") == 123456
    assert balance(engine, f"Liabilities:Payable:linshi:{recipient}") == -123456
    with UnitOfWork(engine) as uow:
        exported = payments.export(
            uow, COUNTY, oneoff_batch.id, tmp_path, operator="cashier", today=date(2026, 11, 4)
        )
    assert (exported.count, exported.amount_fen_total) == (1, 123456)
    assert balance(engine, "Assets:BankClearing:ICBC") == 123456
    assert balance(engine, "Assets:Treasury:linshi") == 1_000_000_00 - 123456
    # Paid once: the next period's run and an urgent batch have nothing for it.
    assert [c.program for c in run(engine, "2026-12").created] == ["dibao_rural"]
    with UnitOfWork(engine) as uow:
        assert oneoff_pay.pay_now(uow, COUNTY, "2026-12", operator="maker").created == []


def test_an_urgent_batch_pays_the_approved_cases_now_without_the_regular_run(engine):
    enrol(engine, [person(1)])
    first = approved_case(engine, 1)
    approved_case(engine, 2, bank="RCC")
    add(engine, new_case(3))  # not approved: not paid
    with UnitOfWork(engine) as uow:
        result = oneoff_pay.pay_now(uow, COUNTY, "2026-11", operator="maker", case_ids=[first])
    assert [(c.program, c.bank, c.count) for c in result.created] == [("linshi", "ICBC", 1)]
    with UnitOfWork(engine) as uow:
        result = oneoff_pay.pay_now(uow, COUNTY, "2026-11", operator="maker")
    assert [(c.bank, c.count) for c in result.created] == [("RCC", 1)]
    assert count(engine, "entitlements") == 2  # no regular entitlement: no run was made
    with UnitOfWork(engine) as uow, pytest.raises(ValidationError) as refused:
        oneoff_pay.pay_now(uow, COUNTY, "2026-11", operator="maker", case_ids=[first, 3, 99])
    problems = refused.value.problems
    assert any("already in batch" in p for p in problems)
    assert any("case 3: is pending" in p for p in problems)
    assert any("case 99: does not exist" in p for p in problems)


def test_a_voided_one_off_batch_releases_its_case_to_be_paid_again(engine):
    approved_case(engine)
    with UnitOfWork(engine) as uow:
        (created,) = oneoff_pay.pay_now(uow, COUNTY, "2026-11", operator="maker").created
    with UnitOfWork(engine) as uow:
        payments.void(uow, created.id, operator="checker", reason="wrong bank")
    with UnitOfWork(engine) as uow:
        (again,) = oneoff_pay.pay_now(uow, COUNTY, "2026-11", operator="maker").created
    assert again.id != created.id and again.amount_fen_total == 150000


def test_the_maker_may_not_approve_a_case_nor_a_checker_twice(engine):
    added = add(engine, new_case(1, amount="5000.00"), operator="clerk")
    with pytest.raises(LedgerError, match="different operator"):
        approve(engine, added.id, operator="CLERK ")
    assert approve(engine, added.id).approved
    with pytest.raises(LedgerError, match="already approved"):
        approve(engine, added.id, operator="checker2")


def test_an_operator_without_the_checker_role_may_not_approve(engine):
    added = add(engine, new_case(1))
    with pytest.raises(LedgerError, match="needs role finance_checker"):
        approve(engine, added.id, operator="carol")
    assert count(engine, "oneoff_approvals") == 0


def test_a_case_above_the_cap_is_refused_unless_decided_by_the_band_above(engine):
    with pytest.raises(LedgerError, match=r"above the cap per case 5,000\.00"):
        add(engine, new_case(1, amount="5000.01"))
    assert count(engine, "oneoff_cases") == 0
    added = add(engine, new_case(1, amount="5000.01", over_cap=True))
    assert added.approvals_required == 2 and added.over_cap
    first = approve(engine, added.id)
    assert not first.approved and first.missing == "1 more checker(s)"
    assert approve(engine, added.id, operator="checker2").approved


def test_a_household_above_its_yearly_cap_is_refused_counting_only_that_year(engine):
    add(engine, new_case(1, amount="5000.00"))
    add(engine, new_case(2, household="H0001", amount="4000.00"))
    with pytest.raises(LedgerError, match=r"would come to 10,000\.01"):
        add(engine, new_case(3, household="H0001", amount="1000.01"))
    # Another year starts again.
    add(engine, new_case(3, household="H0001", amount="1000.01", case_date=date(2027, 1, 2)))
    assert count(engine, "oneoff_cases") == 3


def test_bad_arguments_are_refused_each_named_and_nothing_is_written(engine):
    bad = new_case(
        1,
        category="慢性病",
        amount="1e3",
        township="T09",
        bank="BOC",
        account_number="6217000000000000000",
        documents=(" ",),
        id_number="130123197001015001",
    )
    with pytest.raises(ValidationError) as refused:
        add(engine, bad)
    problems = "\n".join(refused.value.problems)
    for option in (
        "--category: unknown category '慢性病'",
        "--amount:",
        "--township: unknown township 'T09'",
        "--bank: unknown bank 'BOC'",
        "--account: the card number's check digit",
        "--document:",
        "--id-number:",
    ):
        assert option in problems
    for amount in ("12.345", "-5", "0", "1,00"):
        with pytest.raises(ValidationError, match="--amount"):
            add(engine, new_case(1, amount=amount))
    assert count(engine, "oneoff_cases") == count(engine, "recipients") == 0


def test_screening_holds_a_one_off_payment_to_a_person_reported_dead(engine):
    approved_case(engine, 1)
    approved_case(engine, 2)
    refdata(
        engine,
        "deaths",
        [{"id_number": new_case(2).id_number, "name": "申请人2", "death_date": date(2026, 10, 9),
          "source": "公安"}],
    )  # fmt: skip
    with UnitOfWork(engine) as uow:
        (created,) = oneoff_pay.pay_now(uow, COUNTY, "2026-11", operator="maker").created
    assert (created.count, created.held_count, created.held_fen) == (2, 1, 150000)
    with UnitOfWork(engine) as uow:
        payments.approve(uow, created.id, operator="checker", today=date(2026, 11, 3))
    assert balance(engine, "Expenses:Assistance:linshi:T01") == 150000


def test_case_approvals_are_append_only_in_the_database(engine):
    added = add(engine, new_case(1))
    approve(engine, added.id)
    with engine.begin() as connection, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        connection.execute(sa.text("DELETE FROM oneoff_approvals"))


def test_the_recipient_statement_lists_a_paid_one_off_case_under_its_program(engine):
    from ledger.db.audit_reads import load_history
    from ledger.documents import statement_context

    approved_case(engine, amount="800.50")
    with UnitOfWork(engine) as uow:
        oneoff_pay.pay_now(uow, COUNTY, "2026-11", operator="maker")
    with engine.connect() as connection:
        raw = load_history(connection, new_case(1).id_number)
    context = statement_context(raw, COUNTY, 2026)
    assert [(r["month"], r["program"], r["entitled"]) for r in context["rows"]] == [
        ("2026-11", "临时救助", "800.50")
    ]


def test_the_approval_sheet_of_a_one_off_batch_lists_its_cases_after_the_held_ones(engine):
    from ledger import sheets

    documents = ("民临救〔2026〕88号",)
    first = add(engine, new_case(1, amount="6000.00", over_cap=True, documents=documents))
    approve(engine, first.id)
    approve(engine, first.id, operator="checker2")
    approved_case(engine, 2)
    refdata(
        engine,
        "staff",
        [{"id_number": new_case(2).id_number, "name": "申请人2", "employer": "财政局",
          "account_numbers": []}],
    )  # fmt: skip
    with UnitOfWork(engine) as uow:
        (created,) = oneoff_pay.pay_now(uow, COUNTY, "2026-11", operator="maker").created
    with engine.connect() as connection:
        html = sheets.render_sheet(connection, COUNTY, created.id, stage="draft")
    assert "(临时救助 #1)" in html
    held_at, cases_at = html.index("暂停发放（发放前筛查拦截）"), html.index("临时救助个案：2")
    assert held_at < cases_at < html.index("汇总")
    assert "民临救〔2026〕88号" in html and "超限额（上一档审批）" in html and "6,000.00" in html
