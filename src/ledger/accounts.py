"""Account names, kinds and balance rules (DESIGN §3).

Accounts are named hierarchically, colon-separated, Beancount style. The first segment
is the kind. The shape of each family is fixed so that a name alone tells what an
account is and which dimensions (program, source, bank, recipient, township) it carries.

Balance rules are guarantees the database enforces on every posting:
- ``credit_only``: the balance never goes debit (> 0). A payable: nobody is paid more
  than they are owed.
- ``debit_only``: the balance never goes credit (< 0). The treasury never goes negative
  unless the program allows it.
- ``any``: no rule.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from ledger.errors import LedgerError


class Kind(StrEnum):
    ASSETS = "Assets"
    LIABILITIES = "Liabilities"
    INCOME = "Income"
    EXPENSES = "Expenses"
    EQUITY = "Equity"


class BalanceRule(StrEnum):
    ANY = "any"
    DEBIT_ONLY = "debit_only"
    CREDIT_ONLY = "credit_only"


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What an account name means. Immutable: an account never changes after creation."""

    name: str
    kind: Kind
    balance_rule: BalanceRule
    program: str | None = None
    source: str | None = None
    bank: str | None = None
    recipient: str | None = None
    township: str | None = None


# Each family: the fixed leading segments, the dimensions that follow (one segment each),
# and the balance rule. A segment is any run of characters without whitespace or colons.
_FAMILIES: dict[tuple[str, ...], tuple[tuple[str, ...], BalanceRule]] = {
    ("Assets", "Treasury"): (("program",), BalanceRule.DEBIT_ONLY),
    ("Assets", "BankClearing"): (("bank",), BalanceRule.ANY),
    ("Assets", "Receivable", "Recovery"): (("recipient",), BalanceRule.DEBIT_ONLY),
    ("Liabilities", "Payable"): (("program", "recipient"), BalanceRule.CREDIT_ONLY),
    ("Income", "Appropriation"): (("source", "program"), BalanceRule.ANY),
    # A source's unspent money carried over into the next year (结转, funds close-year).
    ("Income", "Carryover"): (("source", "program"), BalanceRule.ANY),
    ("Income", "Interest"): (("program",), BalanceRule.ANY),
    ("Expenses", "Assistance"): (("program", "township"), BalanceRule.ANY),
}
_WHITESPACE = re.compile(r"\s")


DIMENSIONS = ("program", "source", "bank", "recipient", "township")
# Per family, where each of its dimension segments goes in a DIMENSIONS-ordered row.
_SLOTS = {
    prefix: tuple(DIMENSIONS.index(d) for d in dims) for prefix, (dims, _) in _FAMILIES.items()
}


def account_row(
    name: str, *, treasury_may_go_negative: bool = False
) -> tuple[str, str, str, str | None, str | None, str | None, str | None, str | None]:
    """(name, kind, balance rule, program, source, bank, recipient, township) of an
    account name: the bulk form of ``parse_account`` (no object per account)."""
    parts = name.split(":")
    for length in (2, 3):
        prefix = tuple(parts[:length])
        family = _FAMILIES.get(prefix)
        if family is None:
            continue
        dims, rule = family
        values = parts[length:]
        if len(values) != len(dims) or not all(values) or _WHITESPACE.search(name):
            break
        if treasury_may_go_negative and prefix == ("Assets", "Treasury"):
            rule = BalanceRule.ANY
        row: list[str | None] = [None] * len(DIMENSIONS)
        for slot, value in zip(_SLOTS[prefix], values, strict=True):
            row[slot] = value
        return (name, parts[0], rule.value, *row)  # type: ignore[return-value]
    raise LedgerError(
        f"account {name!r} is not in the chart of accounts "
        "(see docs/ledger.md: Assets:Treasury:{program}, "
        "Liabilities:Payable:{program}:{recipient}, ...)"
    )


def parse_account(name: str, *, treasury_may_go_negative: bool = False) -> AccountSpec:
    """Interpret an account name; raise ``LedgerError`` for a name outside the chart.

    ``treasury_may_go_negative`` relaxes the treasury rule for programs whose
    configuration allows advances from the county budget.
    """
    row = account_row(name, treasury_may_go_negative=treasury_may_go_negative)
    return AccountSpec(
        name,
        Kind(row[1]),
        BalanceRule(row[2]),
        **dict(zip(DIMENSIONS, row[3:], strict=True)),
    )


def treasury(program: str) -> str:
    return f"Assets:Treasury:{program}"


def bank_clearing(bank: str) -> str:
    return f"Assets:BankClearing:{bank}"


def recovery_receivable(recipient: str) -> str:
    return f"Assets:Receivable:Recovery:{recipient}"


def payable(program: str, recipient: str) -> str:
    return f"Liabilities:Payable:{program}:{recipient}"


def appropriation(source: str, program: str) -> str:
    return f"Income:Appropriation:{source}:{program}"


def carryover(source: str, program: str) -> str:
    return f"Income:Carryover:{source}:{program}"


def interest(program: str) -> str:
    return f"Income:Interest:{program}"


def assistance(program: str, township: str) -> str:
    return f"Expenses:Assistance:{program}:{township}"
