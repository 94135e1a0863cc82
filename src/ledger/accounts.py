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


# A segment: letters (any script), digits, underscore, hyphen. No spaces, no colons.
_SEGMENT = r"[^\s:]+"

# (pattern, balance rule, dimension names in order of the captured groups)
_FAMILIES: list[tuple[re.Pattern[str], BalanceRule, tuple[str, ...]]] = [
    (re.compile(rf"Assets:Treasury:({_SEGMENT})"), BalanceRule.DEBIT_ONLY, ("program",)),
    (re.compile(rf"Assets:BankClearing:({_SEGMENT})"), BalanceRule.ANY, ("bank",)),
    (
        re.compile(rf"Assets:Receivable:Recovery:({_SEGMENT})"),
        BalanceRule.DEBIT_ONLY,
        ("recipient",),
    ),
    (
        re.compile(rf"Liabilities:Payable:({_SEGMENT}):({_SEGMENT})"),
        BalanceRule.CREDIT_ONLY,
        ("program", "recipient"),
    ),
    (
        re.compile(rf"Income:Appropriation:({_SEGMENT}):({_SEGMENT})"),
        BalanceRule.ANY,
        ("source", "program"),
    ),
    (re.compile(rf"Income:Interest:({_SEGMENT})"), BalanceRule.ANY, ("program",)),
    (
        re.compile(rf"Expenses:Assistance:({_SEGMENT}):({_SEGMENT})"),
        BalanceRule.ANY,
        ("program", "township"),
    ),
]


# Families by their first two segments, with their number of segments, so that a name
# is checked by one split instead of trying every pattern (opening 10^6 payables
# classifies 10^6 names). ``_FAMILIES`` stays the documented definition; this table is
# derived from it.
_DIMENSIONS = ("program", "source", "bank", "recipient", "township")
_WHITESPACE = re.compile(r"\s")
_BY_PREFIX: dict[str, tuple[list[str], int, BalanceRule, tuple[int | None, ...]]] = {}
for _pattern, _rule, _dims in _FAMILIES:
    # The literal segments before the first captured one: "Assets:Receivable:Recovery".
    _literal = _pattern.pattern.split("(", 1)[0].rstrip(":").split(":")
    _BY_PREFIX[":".join(_literal[:2])] = (
        _literal,
        len(_literal) + len(_dims),
        _rule,
        tuple(len(_literal) + _dims.index(d) if d in _dims else None for d in _DIMENSIONS),
    )

AccountRow = tuple[str, str, str, str | None, str | None, str | None, str | None, str | None]


def account_row(name: str, *, treasury_may_go_negative: bool = False) -> AccountRow | None:
    """The account's (name, kind, balance rule, program, source, bank, recipient,
    township) as plain values, or None for a name outside the chart: the bulk form of
    ``parse_account``, without building an object per name."""
    parts = name.split(":")
    if len(parts) < 3:
        return None
    family = _BY_PREFIX.get(parts[0] + ":" + parts[1])
    if family is None:
        return None
    literal, count, rule, positions = family
    if (
        len(parts) != count
        or "" in parts
        or parts[: len(literal)] != literal
        or _WHITESPACE.search(name)
    ):
        return None
    if treasury_may_go_negative and rule is BalanceRule.DEBIT_ONLY and parts[1] == "Treasury":
        rule = BalanceRule.ANY
    p, s, b, r, t = (None if i is None else parts[i] for i in positions)
    return (name, parts[0], rule.value, p, s, b, r, t)


def parse_account(name: str, *, treasury_may_go_negative: bool = False) -> AccountSpec:
    """Interpret an account name; raise ``LedgerError`` for a name outside the chart.

    ``treasury_may_go_negative`` relaxes the treasury rule for programs whose
    configuration allows advances from the county budget.
    """
    row = account_row(name, treasury_may_go_negative=treasury_may_go_negative)
    if row is None:
        raise LedgerError(
            f"account {name!r} is not in the chart of accounts "
            "(see docs/ledger.md: Assets:Treasury:{program}, "
            "Liabilities:Payable:{program}:{recipient}, ...)"
        )
    _, kind, rule, program, source, bank, recipient, township = row
    return AccountSpec(
        name=name,
        kind=Kind(kind),
        balance_rule=BalanceRule(rule),
        program=program,
        source=source,
        bank=bank,
        recipient=recipient,
        township=township,
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


def interest(program: str) -> str:
    return f"Income:Interest:{program}"


def assistance(program: str, township: str) -> str:
    return f"Expenses:Assistance:{program}:{township}"
