import pytest

from ledger.accounts import BalanceRule, Kind, parse_account
from ledger.errors import LedgerError


def test_a_payable_names_program_and_recipient_and_may_never_go_debit():
    spec = parse_account("Liabilities:Payable:dibao_rural:R0000042")
    assert spec.kind is Kind.LIABILITIES
    assert (spec.program, spec.recipient) == ("dibao_rural", "R0000042")
    assert spec.balance_rule is BalanceRule.CREDIT_ONLY


def test_the_treasury_may_not_go_negative_unless_the_program_allows_it():
    assert parse_account("Assets:Treasury:tekun").balance_rule is BalanceRule.DEBIT_ONLY
    relaxed = parse_account("Assets:Treasury:tekun", treasury_may_go_negative=True)
    assert relaxed.balance_rule is BalanceRule.ANY


def test_expense_accounts_carry_program_and_township():
    spec = parse_account("Expenses:Assistance:tekun:城关镇")
    assert (spec.program, spec.township) == ("tekun", "城关镇")


@pytest.mark.parametrize(
    "name",
    [
        "Assets:Cash",
        "Liabilities:Payable:dibao_rural",
        "Assets:Treasury:dibao rural",
        "Assets:Treasury:",
        "Expenses:Assistance:tekun:T01:extra",
    ],
)
def test_names_outside_the_chart_are_refused(name):
    with pytest.raises(LedgerError, match="chart of accounts"):
        parse_account(name)
