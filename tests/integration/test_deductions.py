"""扣减 deductions on both databases: a plan recovers the recovery receivable from the
next payments within the county's ceiling; the accrual is gross and settles the
deduction against the receivable, the bank file pays the net; holds and voids keep the
deduction with its payment; bad plans are refused naming the option."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from ledger import deductions, holds, payments, sheets
from ledger.db.audit_reads import load_history
from ledger.db.balances import account_balance
from ledger.db.deductions_store import of_recipient
from ledger.db.event_verify import scope_problem
from ledger.db.uow import UnitOfWork
from ledger.documents import statement_context
from ledger.errors import ValidationError
from ledger.kinds_rules import DeductionRules, deduction_split, parse_deductions
from tests.helpers import post_lines
from tests.support.findings import COUNTY, enrol, fund, person, pid, refdata

P = "dibao_rural"
RECEIVABLE = "Assets:Receivable:Recovery:R{:07d}"
PAYABLE = f"Liabilities:Payable:{P}:" + "R{:07d}"


def run(engine, period="2026-11", county=COUNTY):
    now = datetime(int(period[:4]), int(period[5:]), 2, tzinfo=UTC)
    with UnitOfWork(engine) as uow:
        return payments.run_batches(uow, county, period, operator="maker", now=now)


def approve(engine, batch_id, day=date(2026, 11, 3)):
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch_id, operator="checker", today=day)


def owes(engine, n, fen):
    """The overpayment found (findings recover's entry): Dr Receivable / Cr Assistance."""
    with UnitOfWork(engine) as uow:
        post_lines(
            uow.connection,
            [(RECEIVABLE.format(n), fen), (f"Expenses:Assistance:{P}:T01", -fen)],
            type_="recovery",
            day=date(2026, 10, 25),
            key=f"owes:{n}",
        )
        uow.commit()


def plan(engine, recipient="R0000001", amount_fen=500_00, county=COUNTY, **kwargs):
    with UnitOfWork(engine) as uow:
        return deductions.add_plan(
            uow,
            county,
            recipient=recipient,
            program=kwargs.pop("program", P),
            amount_fen=amount_fen,
            reason=kwargs.pop("reason", "finding 7: paid after exit"),
            operator="maker",
            **kwargs,
        )


def balance(engine, account):
    with engine.connect() as connection:
        return account_balance(connection, account)


def instruction(engine, batch_id, key):
    with engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT i.id, i.amount_fen, i.status FROM payment_instructions i"
                " JOIN recipients r ON r.id = i.recipient_id"
                " WHERE i.batch_id = :b AND r.key = :k"
            ),
            {"b": batch_id, "k": key},
        ).one()


def test_a_plan_is_deducted_within_the_ceiling_and_the_entries_balance_to_the_fen(engine, tmp_path):
    enrol(engine, [person(1), person(2)])  # 600.00 a month each
    fund(engine, {P})
    owes(engine, 1, 500_00)
    plan(engine)
    (batch,) = run(engine).created
    # 30 % of 600.00 = 180.00 deducted: the bank line is the net, the entitlement gross.
    iid, net, _ = instruction(engine, batch.id, "R0000001")
    assert net == 420_00
    assert (batch.count, batch.amount_fen_total) == (2, 420_00 + 600_00)
    approve(engine, batch.id)
    with engine.connect() as connection:
        postings = connection.execute(
            sa.text(
                "SELECT a.name, p.amount_fen, p.instruction_id FROM postings p"
                " JOIN accounts a ON a.id = p.account_id JOIN batches b"
                " ON b.accrual_transaction_id = p.transaction_id WHERE b.id = :b"
                " ORDER BY a.name, p.amount_fen"
            ),
            {"b": batch.id},
        ).all()
    assert [tuple(p) for p in postings] == [
        (RECEIVABLE.format(1), -180_00, iid),  # Cr the recovery receivable
        (f"Expenses:Assistance:{P}:T01", 1200_00, None),  # Dr the gross expense
        (PAYABLE.format(1), -600_00, iid),  # Cr the payable, gross
        (PAYABLE.format(1), 180_00, iid),  # Dr the payable: settled by the deduction
        (PAYABLE.format(2), -600_00, instruction(engine, batch.id, "R0000002")[0]),
    ]
    assert sum(p.amount_fen for p in postings) == 0
    assert balance(engine, RECEIVABLE.format(1)) == 320_00
    assert balance(engine, PAYABLE.format(1)) == -420_00  # what the bank will pay
    with UnitOfWork(engine) as uow:
        payments.export(
            uow,
            COUNTY,
            batch.id,
            tmp_path,
            operator="cashier",
            today=date(2026, 11, 4),
            now=datetime(2026, 11, 4, 9, tzinfo=UTC),
        )
    assert balance(engine, "Assets:BankClearing:ICBC") == 1020_00  # the net is funded
    with engine.connect() as connection:
        assert scope_problem(connection, f"batch:{batch.id}") is None
    # December: another 180.00; January: the 140.00 left; February: nothing.
    for period, expected in (("2026-12", 420_00), ("2027-01", 460_00), ("2027-02", 600_00)):
        (later,) = run(engine, period).created
        assert instruction(engine, later.id, "R0000001")[1] == expected, period
        approve(engine, later.id, day=date(2026, 12, 3))
    assert balance(engine, RECEIVABLE.format(1)) == 0


def test_the_sheet_and_the_statement_show_gross_deduction_and_net(engine):
    enrol(engine, [person(1, amount_fen=512_34)])
    owes(engine, 1, 1_000_00)
    plan(engine, amount_fen=1_000_00, per_month_fen=100_00)
    (batch,) = run(engine).created
    with engine.connect() as connection:
        html = sheets.render_sheet(connection, COUNTY, batch.id, stage="draft")
        raw = load_history(connection, pid(1))
        deducted = of_recipient(connection, int(raw.recipient["id"]))
    section = html.index("扣减（追回多发）：1 笔，100.00 元")
    assert section < html.index("汇总")
    row = html[section : html.index("汇总")]
    assert '<td class="n">512.34</td><td class="n">100.00</td><td class="n">412.34</td>' in row
    context = statement_context(raw, COUNTY, 2026, deductions=deducted)
    (line,) = context["rows"]
    assert (line["entitled"], line["deducted"], line["paid"]) == ("512.34", "100.00", "0.00")
    # Not yet paid: the net only (the deduction is not owed in cash).
    assert context["difference"] == "412.34"
    assert context["deducted_total"] == "100.00"


def test_a_held_payment_keeps_its_deduction_until_it_is_paid(engine):
    enrol(engine, [person(1), person(2)])
    owes(engine, 1, 500_00)
    owes(engine, 2, 500_00)
    plan(engine, "R0000001")
    plan(engine, "R0000002")
    refdata(
        engine,
        "staff",
        [{"id_number": pid(1), "name": "人1", "employer": "财政局", "account_numbers": []}],
    )
    (batch,) = run(engine).created
    _, net, status = instruction(engine, batch.id, "R0000001")
    assert (net, status) == (420_00, "held")
    with engine.connect() as connection:
        html = sheets.render_sheet(connection, COUNTY, batch.id, stage="draft")
    assert "420.00 · 暂停" in html  # shown as held with its payment, not taken silently
    approve(engine, batch.id)
    # The held payment is not accrued: neither is its deduction.
    assert balance(engine, RECEIVABLE.format(1)) == 500_00
    assert balance(engine, PAYABLE.format(1)) == 0
    assert balance(engine, RECEIVABLE.format(2)) == 320_00
    # Paid later (its cause cleared: a newer staff list): accrued gross, the deduction
    # settled with it, once.
    refdata(
        engine,
        "staff",
        [{"id_number": pid(9), "name": "人9", "employer": "财政局", "account_numbers": []}],
    )
    with UnitOfWork(engine) as uow:
        (again,) = payments.reissue_failed(
            uow, COUNTY, "2026-11", operator="maker", with_held=True
        ).created
    assert instruction(engine, again.id, "R0000001")[1:] == (420_00, "pending")
    approve(engine, again.id)
    assert balance(engine, RECEIVABLE.format(1)) == 320_00
    assert balance(engine, PAYABLE.format(1)) == -420_00


def test_a_hold_released_in_the_draft_takes_the_deduction_with_the_payment(engine):
    enrol(engine, [person(1)])
    owes(engine, 1, 500_00)
    plan(engine)
    refdata(
        engine,
        "staff",
        [{"id_number": pid(1), "name": "人1", "employer": "财政局", "account_numbers": []}],
    )
    (batch,) = run(engine).created
    iid, _, _ = instruction(engine, batch.id, "R0000001")
    with UnitOfWork(engine) as uow:
        holds.release(uow, batch.id, [iid], operator="checker", reason="not the same person")
    approve(engine, batch.id)
    assert balance(engine, RECEIVABLE.format(1)) == 320_00
    assert balance(engine, PAYABLE.format(1)) == -420_00


def test_a_voided_batch_gives_the_deduction_back_and_the_next_run_takes_it_again(engine):
    enrol(engine, [person(1)])
    owes(engine, 1, 500_00)
    plan(engine)
    (batch,) = run(engine).created
    approve(engine, batch.id)
    assert balance(engine, RECEIVABLE.format(1)) == 320_00
    with UnitOfWork(engine) as uow:
        payments.void(
            uow, batch.id, operator="checker", reason="wrong month", today=date(2026, 11, 3)
        )
    assert balance(engine, RECEIVABLE.format(1)) == 500_00
    (rerun,) = run(engine).created
    assert instruction(engine, rerun.id, "R0000001")[1] == 420_00


def test_a_deduction_never_takes_more_than_the_receivable_still_holds(engine):
    enrol(engine, [person(1)])
    owes(engine, 1, 100_00)
    plan(engine, amount_fen=100_00)
    # Half of it comes back in cash before the run (funds receive-recovery's entry).
    fund(engine, {P})
    with UnitOfWork(engine) as uow:
        post_lines(
            uow.connection,
            [(f"Assets:Treasury:{P}", 60_00), (RECEIVABLE.format(1), -60_00)],
            type_="recovery_received",
            day=date(2026, 10, 28),
        )
        uow.commit()
    (batch,) = run(engine).created
    assert instruction(engine, batch.id, "R0000001")[1] == 600_00 - 40_00
    approve(engine, batch.id)
    assert balance(engine, RECEIVABLE.format(1)) == 0


def test_max_fen_caps_the_month_too(engine):
    enrol(engine, [person(1)])
    owes(engine, 1, 500_00)
    county = replace(COUNTY, deductions=DeductionRules(max_share_bp=5000, max_fen=99_99))
    plan(engine, county=county)
    (batch,) = run(engine, county=county).created
    assert instruction(engine, batch.id, "R0000001")[1] == 600_00 - 99_99


@pytest.mark.parametrize("gross", [1, 2, 3, 333, 600_00, 123_456_78])
def test_the_runs_sql_agrees_with_the_rule(engine, gross):
    enrol(engine, [person(1, amount_fen=gross)])
    owes(engine, 1, 10**9)
    plan(engine, amount_fen=10**9)
    (batch,) = run(engine).created
    expected = deduction_split(gross, 10**9, COUNTY.deductions)
    assert instruction(engine, batch.id, "R0000001")[1] == expected[1]
    with engine.connect() as connection:
        recorded = connection.execute(sa.text("SELECT amount_fen FROM deductions")).scalars().all()
    assert recorded == ([expected[0]] if expected[0] else [])


def test_bad_plans_are_refused_naming_the_option_and_nothing_is_recorded(engine):
    enrol(engine, [person(1)])
    owes(engine, 1, 500_00)
    cases = [
        ({"recipient": "R0000099"}, "--recipient: no recipient 'R0000099'"),
        ({"amount_fen": 0}, "--amount: must be more than 0"),
        ({"amount_fen": -300_00}, "--amount: must be more than 0"),
        (
            {"amount_fen": 500_01},
            "--amount: 500.01 is more than Assets:Receivable:Recovery:R0000001",
        ),
        ({"per_month_fen": 180_01}, "--per-month: 180.01 is above the ceiling (180.00"),
        ({"per_month_fen": 0}, "--per-month: must be more than 0"),
        ({"program": "nope"}, "--program: unknown program 'nope'"),
        ({"reason": " "}, "--reason:"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError) as refused:
            plan(engine, **kwargs)
        assert any(message in p for p in refused.value.problems), (message, refused.value.problems)
    plan(engine, amount_fen=200_00, per_month_fen=180_00)  # exactly the ceiling: accepted
    with pytest.raises(ValidationError) as refused:
        plan(engine, amount_fen=100_00)
    assert any("already has plan" in p for p in refused.value.problems)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM deduction_plans")).scalar() == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"max_share_bp": 10000}, "deductions.max_share_bp: a whole number of basis points"),
        ({"max_share_bp": 0}, "deductions.max_share_bp"),
        ({"max_share_bp": "30%"}, "deductions.max_share_bp"),
        ({"max_fen": -1}, "deductions.max_fen: a whole number of fen > 0"),
        ({"ceiling": 1}, "deductions.ceiling: unknown key"),
    ],
)
def test_bad_deduction_settings_are_refused_naming_the_key(raw, message):
    problems: list[str] = []
    parse_deductions(raw, problems)
    assert any(message in p for p in problems), problems


@given(
    gross=st.integers(min_value=1, max_value=10**12),
    wanted=st.integers(min_value=0, max_value=10**13),
    share=st.integers(min_value=1, max_value=9999),
    max_fen=st.none() | st.integers(min_value=1, max_value=10**12),
)
def test_a_deduction_never_makes_a_payment_negative_and_gross_less_deduction_is_net(
    gross, wanted, share, max_fen
):
    rules = DeductionRules(share, max_fen)
    deduction, net = deduction_split(gross, wanted, rules)
    assert gross - deduction == net
    assert 0 <= deduction <= wanted
    assert deduction <= gross * share // 10000 and (max_fen is None or deduction <= max_fen)
    assert net > 0  # never the whole payment: the ceiling is below 100 %


def test_plans_deductions_and_supplement_codes_cannot_be_rewritten(engine):
    enrol(engine, [person(1)])
    owes(engine, 1, 500_00)
    plan(engine)
    run(engine)
    attacks = [
        "UPDATE deductions SET amount_fen = 1",
        "DELETE FROM deductions",
        "UPDATE deduction_plans SET amount_fen = 1",
        "DELETE FROM deduction_plans",
        "UPDATE entitlements SET supplement = 'x'",
    ]
    for sql in attacks:
        with pytest.raises(sa.exc.DatabaseError, match="ledger"), engine.begin() as connection:
            connection.exec_driver_sql(sql)


def test_a_deducted_payment_settled_in_full_is_not_paid_less_than_entitled(engine, tmp_path):
    from tests.support.findings import detect, pay_period, set_status

    enrol(engine, [person(1), person(2)])
    owes(engine, 1, 500_00)
    plan(engine)
    fund(engine, {P})
    ids = pay_period(engine, tmp_path)
    set_status(engine, ids["R0000001"] + ids["R0000002"], "settled")
    assert detect(engine, "W05") == {}  # 420.00 settled of 600.00: 180.00 was deducted


def test_a_members_deduction_waits_in_a_household_program_and_the_payment_stays_whole(engine):
    # A household payment is one instruction to the head for every member: netting one
    # member's deduction there is not done, so the deduction waits (docs/deductions.md)
    # and the accrual settles nothing the bank file did not net.
    household = replace(
        COUNTY, programs={**COUNTY.programs, P: replace(COUNTY.programs[P], pay_to="household")}
    )
    card = "6217000000000000001"
    enrol(
        engine,
        [
            person(1, household_id="H1", household_head=True, amount_fen=300_00,
                   account_number=card),
            person(2, household_id="H1", amount_fen=200_00, account_number=card,
                   account_holder="人1"),
        ],
    )  # fmt: skip
    fund(engine, {P})
    owes(engine, 2, 100_00)
    plan(engine, recipient="R0000002", amount_fen=100_00, county=household)
    (batch,) = run(engine, county=household).created
    assert (batch.count, batch.amount_fen_total) == (1, 500_00)
    approve(engine, batch.id)
    with engine.connect() as connection:
        taken = connection.execute(sa.text("SELECT COUNT(*) FROM deductions")).scalar_one()
    assert taken == 0
    assert balance(engine, RECEIVABLE.format(2)) == 100_00  # still to recover
    assert balance(engine, PAYABLE.format(1)) == -500_00  # the head's payable: the whole
