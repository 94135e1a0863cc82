"""The journal as a Beancount 3 ledger (readable by bean-check and Fava).

Beancount account components must start with an upper-case letter or a digit and may
not contain underscores, so each component is mapped: ``_`` becomes ``-`` and a leading
ASCII lower-case letter is upper-cased (``Assets:Treasury:dibao_rural`` ->
``Assets:Treasury:Dibao-rural``). The original name is kept as ``ledger-account``
metadata on the account's ``open`` directive, and two ledger accounts that would map to
the same Beancount name are refused rather than merged.

Every account is opened on the date of its first posting; every transaction carries its
ledger id, type, operator and hash as metadata; a ``balance`` assertion for every account
is dated the day after the export date, or after the last entry if that is later
(Beancount checks balances at the start of a day), so ``bean-check`` proves the export
adds up to the ledger's own balances.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from ledger.errors import LedgerError
from ledger.money import format_yuan

CURRENCY = "CNY"


def beancount_account(name: str) -> str:
    parts = []
    for component in name.split(":"):
        component = component.replace("_", "-")
        if component and "a" <= component[0] <= "z":
            component = component[0].upper() + component[1:]
        parts.append(component)
    return ":".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def write_beancount(
    out: TextIO,
    *,
    title: str,
    openings: Iterable[Any],
    postings: Iterable[Any],
    as_of: date,
) -> int:
    """Write the ledger; return the number of transactions written.

    ``openings``: rows with name, first_date, balance_fen (one per account).
    ``postings``: flat posting rows in chain order (see ``journal_queries``).
    """
    out.write(f"; {title}\n; exported from the assistance-fund ledger, as of {as_of}\n")
    out.write(f'option "title" {_quote(title)}\n')
    out.write(f'option "operating_currency" "{CURRENCY}"\n\n')
    mapped: dict[str, str] = {}
    balances: list[tuple[str, int]] = []
    for row in openings:
        target = beancount_account(row.name)
        if target in mapped:
            raise LedgerError(
                f"accounts {mapped[target]!r} and {row.name!r} would both become {target!r} "
                "in Beancount; rename one before exporting"
            )
        mapped[target] = row.name
        out.write(f"{row.first_date} open {target} {CURRENCY}\n")
        out.write(f"  ledger-account: {_quote(row.name)}\n")
        balances.append((target, int(row.balance_fen)))
    out.write("\n")
    count = 0
    last_day = as_of
    for transaction in _group(postings):
        head = transaction[0]
        count += 1
        last_day = max(last_day, _day(head.effective_date))
        out.write(f"{head.effective_date} * {_quote(head.description)}\n")
        out.write(f"  ledger-id: {head.transaction_id}\n")
        out.write(f"  ledger-type: {_quote(head.type)}\n")
        out.write(f"  operator: {_quote(head.operator)}\n")
        if head.reverses_id is not None:
            out.write(f"  reverses: {head.reverses_id}\n")
        out.write(f"  hash: {_quote(head.hash)}\n")
        for line in transaction:
            amount = format_yuan(int(line.amount_fen))
            out.write(f"  {beancount_account(line.account)}  {amount} {CURRENCY}\n")
            if line.instruction_id is not None:
                out.write(f"    instruction: {line.instruction_id}\n")
        out.write("\n")
    # Beancount checks a balance at the start of its day: after every entry written,
    # also one dated after the export date (recorded before the journal refused those).
    check_day = last_day + timedelta(days=1)
    for target, balance in balances:
        out.write(f"{check_day} balance {target}  {format_yuan(balance)} {CURRENCY}\n")
    return count


def _day(value: Any) -> date:
    """An effective date as the driver returns it (a date; SQLite text in raw rows)."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _group(rows: Iterable[Any]) -> Iterator[list[Any]]:
    current: list[Any] = []
    for row in rows:
        if current and row.transaction_id != current[0].transaction_id:
            yield current
            current = []
        current.append(row)
    if current:
        yield current
