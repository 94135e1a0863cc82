"""What one line of a bank return does to the instruction it names (DESIGN §5).

No SQL here: ``ledger.reconciliation`` applies these rules to whole files at once (the
rules depend on a handful of discrete inputs, so they are evaluated once per distinct
combination and mapped onto 10^6 lines).

A line says one of four things about a payment:

    settled   the bank paid it (pain.002 ACSC/ACCC, a booked debit entry, 成功)
    failed    the bank did not pay it (RJCT, 失败), with a reason
    returned  the bank paid it and the money came back (pacs.004, a return entry)
    pending   anything else: never treated as failed (re-paying could pay twice)

What it does, by the instruction's current status (a *posting* is an entry of the one
reconciliation transaction of the file; ``docs/ledger.md`` lists the entries):

- settled, on pending: settle (Dr Payable / Cr Clearing). On settled: corroborates; a
  second settlement by a file of the same format is a ``duplicate_confirmation``. On
  failed/reissued/cancelled: corroborates if its money had come back by a return, else
  ``duplicate_confirmation`` (the bank contradicts itself).
- failed, on pending: fail (Dr Treasury / Cr Clearing). On settled:
  ``duplicate_confirmation`` (a payment returned after settlement comes as a return).
  On failed/reissued/cancelled: corroborates.
- returned, on pending: fail (it settled and came back before we heard: the net entry).
  On settled: return (Dr Treasury / Cr Payable: the payable reopens). On
  failed/reissued/cancelled: corroborates if it had been returned (the same format
  twice: ``duplicate_confirmation``), else ``duplicate_confirmation``.
- pending: recorded, nothing changes.

"Corroborates" records the outcome with no posting: a camt.053 statement repeating the
booking a camt.054 notification already settled is expected, not a second payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Posting(StrEnum):
    SETTLE = "settle"  # Dr Payable:{p}:{r} / Cr BankClearing:{bank}
    FAIL = "fail"  # Dr Treasury:{p} / Cr BankClearing:{bank}
    RETURN = "return"  # Dr Treasury:{p} / Cr Payable:{p}:{r}


@dataclass(frozen=True, slots=True)
class Decision:
    """``outcome`` is recorded in instruction_outcomes (None: an exception instead);
    ``posting`` is the entry made; ``status`` the instruction's new status (None: it
    stays); ``exception`` the detail of a duplicate_confirmation."""

    outcome: str | None
    posting: Posting | None = None
    status: str | None = None
    exception: str | None = None


DONE = frozenset({"failed", "reissued", "cancelled"})


def decide(
    status: str,
    said: str,
    *,
    returned_before: bool,
    settled_same_format: bool,
    returned_same_format: bool,
    file_format: str,
) -> Decision:
    """The rule for one line. ``said`` is settled / failed / returned / pending;
    ``status`` the instruction's status before the line; the flags tell whether its
    money already came back (a posted return), and whether a file of the same format
    (or this file, earlier) already settled or returned it."""
    if said == "pending":
        return Decision("pending")
    if status == "voided":
        return Decision(None, exception="the instruction was voided: it never reached a bank")
    if said == "settled":
        if status == "pending":
            return Decision("settled", Posting.SETTLE, "settled")
        if status == "settled" or returned_before:
            if settled_same_format:
                return Decision(
                    None,
                    exception=f"settled a second time: an earlier {file_format} already "
                    "confirmed it (possible double payment: ask the bank)",
                )
            return Decision("settled")
        return Decision(
            None,
            exception=f"reported settled, but the bank reported it failed earlier (now "
            f"{status}): ask the bank whether the recipient was paid",
        )
    if said == "failed":
        if status == "pending":
            return Decision("failed", Posting.FAIL, "failed")
        if status == "settled":
            return Decision(
                None,
                exception="reported failed, but it is already settled (a payment returned "
                "after settlement comes as a return, e.g. pacs.004): ask the bank",
            )
        return Decision("failed")
    if said == "returned":
        if status == "pending":
            return Decision("returned", Posting.FAIL, "failed")
        if status == "settled":
            return Decision("returned", Posting.RETURN, "failed")
        if returned_before:
            if returned_same_format:
                return Decision(
                    None,
                    exception=f"returned a second time: an earlier {file_format} already "
                    "returned it",
                )
            return Decision("returned")
        return Decision(
            None,
            exception=f"a return of a payment that was never settled (it is {status}): "
            "ask the bank",
        )
    raise ValueError(f"unknown line status {said!r}")  # programmer error
