"""What a posting to a person's own account means, and the as-of cutoff."""

from datetime import UTC, date, datetime

import pytest

from ledger.history import cutoff_for, posting_category


@pytest.mark.parametrize(
    ("account", "amount", "type_", "in_clearing", "category"),
    [
        ("Liabilities:Payable:p:R1", -100, "accrual", False, "accrual"),
        ("Liabilities:Payable:p:R1", 100, "settlement", True, "payment"),
        ("Liabilities:Payable:p:R1", -100, "return", True, "payment_returned"),
        ("Liabilities:Payable:p:R1", 100, "cancellation", False, "cancellation"),
        ("Liabilities:Payable:p:R1", 100, "reversal", False, "reversal"),
        ("Assets:Receivable:Recovery:R1", 100, "recovery", False, "recovery_due"),
        ("Assets:Receivable:Recovery:R1", -100, "recovery_cash", False, "recovered"),
        ("Assets:Receivable:Recovery:R1", -100, "reversal", False, "reversal"),
    ],
)
def test_a_posting_is_categorised_from_the_journal_alone(
    account, amount, type_, in_clearing, category
):
    row = {"account": account, "amount_fen": amount, "type": type_, "transaction_id": 7}
    assert posting_category(row, {7} if in_clearing else set()) == category


def test_as_of_a_date_means_until_midnight_china_time():
    assert cutoff_for(date(2026, 11, 5)) == datetime(2026, 11, 5, 16, tzinfo=UTC)
    assert cutoff_for(None) is None
