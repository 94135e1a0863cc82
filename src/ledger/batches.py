"""Payment batches as a domain: states, instruction statuses, the rules between them.

No SQL here. ``ledger.payments`` runs these rules against the database.

A batch moves forward only (DESIGN §4)::

    draft -> approved -> exported -> partially_reconciled -> reconciled -> closed
    draft | approved -> voided

A payment instruction (one line of a bank file) has one status. Listed with what each
means; a status only ever moves along the arrows::

    pending   sent (or about to be sent) to the bank, outcome unknown. Unknown is never
              treated as failed: re-paying an unknown line could pay twice.
      -> settled    the bank confirmed the payment (terminal)
      -> failed     the bank reported a failure (reason_code: ISO 20022, e.g. AC01)
      -> voided     its batch was voided before export; never reached a bank (terminal)
    held      screening at ``batch run`` matched a hold reason (``ledger.screening``):
              not accrued, not in the bank file
      -> pending    a checker released it with a reason while the batch was a draft
      -> voided     its batch was voided
    failed
      -> reissued   a supplementary batch carries a new instruction for it (terminal for
                    this instruction; the new one has ``reissue_of`` = this one)
      -> cancelled  the entitlement will not be paid (e.g. deceased) (terminal)
"""

from datetime import date
from enum import StrEnum

from ledger.errors import LedgerError


class BatchState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    EXPORTED = "exported"
    PARTIALLY_RECONCILED = "partially_reconciled"
    RECONCILED = "reconciled"
    CLOSED = "closed"
    VOIDED = "voided"


class BatchKind(StrEnum):
    REGULAR = "regular"
    SUPPLEMENTARY = "supplementary"
    ONEOFF = "oneoff"  # 临时救助 cases (ledger.oneoff): the next run's or an urgent batch


class InstructionStatus(StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    FAILED = "failed"
    REISSUED = "reissued"
    CANCELLED = "cancelled"
    VOIDED = "voided"
    HELD = "held"


# States in which the bank file exists and may be written again (same bytes).
EXPORTED_STATES = frozenset(
    {
        BatchState.EXPORTED,
        BatchState.PARTIALLY_RECONCILED,
        BatchState.RECONCILED,
        BatchState.CLOSED,
    }
)


def parse_period(text: str) -> str:
    """Check a period (``YYYY-MM``) and return it; ``LedgerError`` if it is not one."""
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        date(int(year), int(month), 1)
    except ValueError:
        raise LedgerError(f"not a period (YYYY-MM): {text!r}") from None
    return text


def period_start(period: str) -> date:
    year, month = period.split("-")
    return date(int(year), int(month), 1)


def shift_period(period: str, months: int) -> str:
    """The period ``months`` months after ``period`` (before, when negative): the one
    place month arithmetic is done, on whole months counted from year 0 (exact integers;
    no date library needed)."""
    year, month = period.split("-")
    index = int(year) * 12 + int(month) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_period(period: str) -> str:
    return shift_period(period, -1)


def end_to_end_prefix(county_code: str, period: str) -> str:
    """The part of every EndToEndId shared by a county's instructions for a period."""
    return f"{county_code}{period.replace('-', '')}"


def end_to_end_id(county_code: str, period: str, entitlement_id: int, attempt: int) -> str:
    """The EndToEndId of an instruction: digits only, at most 35 characters, unique.

    County code (6) + period YYYYMM (6) + entitlement id (at least 10 digits) + attempt
    (2 digits): ``130123`` ``202611`` ``0000000042`` ``01``. Entitlement ids are unique
    and an entitlement's attempts are numbered, so the id is unique; it depends on
    nothing but recorded values, so it is deterministic. Digits only, because many bank
    formats take nothing else. The database computes the same text in bulk
    (``ledger.db.batches_store``); this function is the reference.
    """
    if not 0 < attempt < 100:
        raise ValueError(f"attempt out of range: {attempt}")  # programmer error
    text = f"{end_to_end_prefix(county_code, period)}{entitlement_id:010d}{attempt:02d}"
    if len(text) > 35:
        raise ValueError(f"EndToEndId too long: {text}")  # programmer error
    return text


def remittance_text(period: str, program_name_zh: str) -> str:
    """The payment's remittance text (摘要): ``2026年11月农村最低生活保障金``."""
    start = period_start(period)
    suffix = "" if program_name_zh.endswith("金") or program_name_zh.endswith("费") else "金"
    return f"{start.year}年{start.month}月{program_name_zh}{suffix}"


def pay_date(period: str, pay_day: int, exported_on: date) -> date:
    """The requested execution date: the period's pay day, or the export day if later."""
    start = period_start(period)
    planned = date(start.year, start.month, pay_day)
    return max(planned, exported_on)


def check_approval(
    state: str, maker_key: str, checker_key: str, created_by: str, batch_id: int
) -> None:
    """Maker-checker: only a draft, and only by someone other than its creator (names
    compared by their key, ``ledger.operators.name_key``)."""
    if state != BatchState.DRAFT:
        raise LedgerError(f"batch {batch_id} is {state}: only a draft batch can be approved")
    if checker_key == maker_key:
        raise LedgerError(
            f"batch {batch_id} was created by {created_by}: it must be approved by a "
            "different operator (maker-checker)"
        )


def check_void(state: str, batch_id: int) -> None:
    if state in EXPORTED_STATES:
        raise LedgerError(
            f"batch {batch_id} is {state}: its bank file was exported, so it can no longer "
            "be voided; failed payments are re-issued or cancelled after reconciliation"
        )
    if state == BatchState.VOIDED:
        raise LedgerError(f"batch {batch_id} is already voided")


def check_export(state: str, batch_id: int) -> None:
    if state == BatchState.DRAFT:
        raise LedgerError(
            f"batch {batch_id} is a draft: it must be approved (by a second operator) "
            "before its bank file is exported"
        )
    if state == BatchState.VOIDED:
        raise LedgerError(f"batch {batch_id} is voided: it cannot be exported")


def mask(text: str | None) -> str:
    """ID and card numbers in anything but a bank file: first 6 + last 4."""
    if not text:
        return ""
    if len(text) <= 10:
        return text[:2] + "*" * max(len(text) - 2, 0)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]
