"""补发 back pay at batch run, on both databases: each month owed to an enrolment
approved late, dated to its month, in the current regular batch, within the window."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from ledger import payments, sheets
from ledger.backpay import parse_backpay
from ledger.db.audit_reads import load_history
from ledger.db.balances import account_balance
from ledger.db.uow import UnitOfWork
from ledger.documents import statement_context
from tests.support.findings import COUNTY, enrol, fund, person, pid

P = "dibao_rural"


def run(engine, period, county=COUNTY):
    # Runs dated the 2nd of their month; the test roster is imported on 2026-11-01.
    now = datetime(int(period[:4]), int(period[5:]), 2, tzinfo=UTC)
    with UnitOfWork(engine) as uow:
        return payments.run_batches(uow, county, period, operator="maker", now=now)


def entitlements(engine, period="2026-11"):
    with engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT r.key, t.kind, t.period, t.amount_fen FROM entitlements t"
                " JOIN batches b ON b.id = t.batch_id JOIN recipients r ON r.id = t.recipient_id"
                " WHERE b.period = :p ORDER BY r.key, t.kind DESC, t.period"
            ),
            {"p": period},
        ).all()


def months_run_then_a_late_enrolment(engine):
    """September and October run for person 1 (imported before them, as far as the runs
    know: they are dated earlier); person 2, starting in August, imported after both."""
    enrol(engine, [person(1, start_month="2026-09")])  # known when September was run
    run(engine, "2026-09")
    run(engine, "2026-10")
    # The roster import is dated 2026-11-01, after both runs: approved late.
    enrol(engine, [person(2, start_month="2026-08", amount_fen=512_34)])


def test_a_late_enrolment_is_paid_each_month_run_since_its_start_dated_to_that_month(engine):
    months_run_then_a_late_enrolment(engine)
    fund(engine, {P})
    (batch,) = run(engine, "2026-11").created
    # August was never run: the ledger does not know it was owed. September and October
    # were run without person 2: each is back pay, at the current amount.
    assert entitlements(engine) == [
        ("R0000001", "regular", "2026-11", 600_00),
        ("R0000002", "regular", "2026-11", 512_34),
        ("R0000002", "backpay", "2026-09", 512_34),
        ("R0000002", "backpay", "2026-10", 512_34),
    ]
    assert (batch.count, batch.amount_fen_total) == (4, 600_00 + 3 * 512_34)
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch.id, operator="checker", today=date(2026, 11, 3))
    with engine.connect() as connection:
        assert account_balance(connection, f"Liabilities:Payable:{P}:R0000002") == -3 * 512_34
        lines = (
            connection.execute(
                sa.text(
                    "SELECT line_number FROM payment_instructions WHERE batch_id = :b"
                    " ORDER BY line_number"
                ),
                {"b": batch.id},
            )
            .scalars()
            .all()
        )
    assert lines == [1, 2, 3, 4]  # back pay follows the regular lines
    # Paid once: December owes no back pay for the same months.
    run(engine, "2026-12")
    assert [k for _, k, _, _ in entitlements(engine, "2026-12")] == ["regular", "regular"]


def test_back_pay_stays_within_the_window(engine):
    months_run_then_a_late_enrolment(engine)
    run(engine, "2026-11", county=replace(COUNTY, backpay_window=1))
    assert [(k, p) for _, k, p, _ in entitlements(engine) if k == "backpay"] == [
        ("backpay", "2026-10")
    ]


def test_a_window_of_zero_turns_back_pay_off(engine):
    months_run_then_a_late_enrolment(engine)
    run(engine, "2026-11", county=replace(COUNTY, backpay_window=0))
    assert all(k == "regular" for _, k, _, _ in entitlements(engine))


def test_the_sheet_and_the_statement_show_back_pay_separately(engine):
    months_run_then_a_late_enrolment(engine)
    (batch,) = run(engine, "2026-11").created
    with engine.connect() as connection:
        html = sheets.render_sheet(connection, COUNTY, batch.id, stage="draft")
        raw = load_history(connection, pid(2))
    section = html.index("补发（以前月份）：2 笔，1,024.68 元")
    assert section < html.index("汇总")
    assert "2026-09" in html[section:] and "2026-10" in html[section:]
    rows = statement_context(raw, COUNTY, 2026)["rows"]
    assert [(r["month"], r["program"], r["entitled"]) for r in rows] == [
        ("2026-09", "农村最低生活保障（补发）", "512.34"),
        ("2026-10", "农村最低生活保障（补发）", "512.34"),
        ("2026-11", "农村最低生活保障", "512.34"),
    ]


@pytest.mark.parametrize("value", [61, -1, "12", True])
def test_a_window_outside_0_to_60_months_is_refused_naming_the_key(value):
    problems: list[str] = []
    parse_backpay({"window_months": value}, problems)
    assert problems and problems[0].startswith("backpay.window_months: must be a whole number")


def test_back_pay_in_a_draft_batch_is_not_overdue_before_its_own_period_is(engine):
    from tests.support.findings import detect

    months_run_then_a_late_enrolment(engine)
    run(engine, "2026-11")
    # 2026-09 ended more than 30 days before 2026-11-20, but the batch is November's (the
    # drafts of September and October for R0000001 are overdue, rightly).
    assert "R0000002" not in detect(engine, "W01", as_of=date(2026, 11, 20))
    assert "R0000002" in detect(engine, "W01", as_of=date(2027, 1, 5))
