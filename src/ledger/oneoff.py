"""临时救助 one-off cases as services: add (maker), approve (checkers), pay.

A case is a decision to pay one household once, for an emergency (急难型) or a burden of
expenses (支出型). It is added by civil affairs with the documents it rests on, approved
by finance checkers under the county's ``[[approval.bands]]`` rule for its amount (never
by its maker), and paid once: in a batch of kind ``oneoff`` created by the next ``batch
run`` or at once (``batch run --urgent``, ``oneoff pay``: 先行救助). Caps and the band
above are in ``ledger.oneoff_rules``; the entries in docs/ledger.md ("Kinds of money").
Each service is one unit of work: a refusal changes nothing.
"""

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from ledger import checkers
from ledger.batches import end_to_end_prefix
from ledger.county import County, unknown_code
from ledger.db import batches_store
from ledger.db import oneoff_store as store
from ledger.db.events import record_event
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.identity import id_check_char, luhn_digit
from ledger.money import parse_yuan
from ledger.oneoff_rules import OneoffRules, band_above, over_caps, parse_category
from ledger.operators import name_key

_ID = re.compile(r"\d{17}[\dX]")
_ACCOUNT = re.compile(r"\d{8,32}")


def rules_of(county: County) -> OneoffRules:
    if county.oneoff is None:
        raise LedgerError(
            f"{county.source_path or 'the county configuration'} has no [oneoff] section: "
            "name the program one-off cases are paid under and the caps (see "
            "county.example.toml)"
        )
    return county.oneoff


@dataclass(frozen=True)
class NewCase:
    """What ``oneoff add`` was given, as text (checked by ``add_case``)."""

    id_number: str
    name: str
    household: str
    category: str
    amount: str
    township: str
    village: str
    bank: str
    account_number: str
    documents: Sequence[str]
    reason: str
    account_holder: str = ""
    case_date: date | None = None
    over_cap: bool = False


@dataclass(frozen=True)
class AddedCase:
    id: int
    recipient_key: str
    amount_fen: int
    approvals_required: int
    other_department: bool
    over_cap: list[str]  # the caps it is above (decided by the band above), or empty


def _check(county: County, new: NewCase) -> tuple[list[str], int, str]:
    problems: list[str] = []
    amount = 0
    try:
        amount = parse_yuan(new.amount)
        if amount <= 0:
            problems.append(f"--amount: must be above 0, got {new.amount!r}")
    except ValueError as error:
        problems.append(f"--amount: {error}")
    category = ""
    try:
        category = parse_category(new.category)
    except ValueError as error:
        problems.append(f"--category: {error}")
    number = new.id_number.strip().upper()
    if not _ID.fullmatch(number) or id_check_char(number[:17]) != number[17]:
        problems.append("--id-number: not an 18-character ID number with a right check character")
    if not new.name.strip():
        problems.append("--name: the applicant's name is empty")
    if not new.household.strip():
        problems.append("--household: the household number is empty")
    if new.township not in county.townships:
        problems.append("--township: " + unknown_code("township", new.township, county.townships))
    elif new.village not in county.village_codes(new.township):
        problems.append(
            "--village: " + unknown_code("village", new.village, county.village_codes(new.township))
        )
    if new.bank not in county.banks:
        problems.append("--bank: " + unknown_code("bank", new.bank, county.banks))
    account = new.account_number.strip()
    if not _ACCOUNT.fullmatch(account):
        problems.append("--account: must be 8 to 32 digits")
    elif luhn_digit(account[:-1]) != account[-1]:
        problems.append("--account: the card number's check digit (Luhn) is wrong")
    documents = [d.strip() for d in new.documents if d.strip()]
    if not documents:
        problems.append("--document: name at least one document number (文号) the case rests on")
    if any(";" in d for d in documents):
        problems.append("--document: a document number may not contain ';'")
    if not new.reason.strip():
        problems.append("--reason: say what happened (the case's reason)")
    return problems, amount, category


def add_case(
    uow: UnitOfWork,
    county: County,
    new: NewCase,
    *,
    operator: str,
    today: date | None = None,
    now: datetime | None = None,
) -> AddedCase:
    """Record a case waiting for its approvals. Refused, naming every problem, for bad
    arguments, and when above a cap unless ``new.over_cap`` and a band above exists."""
    rules = rules_of(county)
    problems, amount, category = _check(county, new)
    if problems:
        raise ValidationError("the one-off case was not recorded:", problems)
    connection = uow.connection
    batches_store.lock_batches(connection)
    case_date = new.case_date or today or date.today()
    year_before = store.household_year_total(connection, new.household.strip(), case_date.year)
    above = over_caps(rules, amount, year_before)
    rule = county.approval.rule_for(amount)
    if above:
        if not new.over_cap:
            raise LedgerError(
                "the one-off case was not recorded: "
                + "; ".join(above)
                + ". Add it with --over-cap to have it decided by the approval band above"
            )
        higher = band_above(county.approval, amount)
        if higher is None:
            raise LedgerError(
                "the one-off case was not recorded: "
                + "; ".join(above)
                + ", and the county has no approval band above its amount's "
                "([[approval.bands]]) to decide it"
            )
        rule = higher
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    number = new.id_number.strip().upper()
    recipient_id = store.ensure_recipient(connection, number, new.name.strip(), moment)
    case_id = store.insert_case(
        connection,
        recipient_id=recipient_id,
        household_id=new.household.strip(),
        category=category,
        reason=new.reason.strip(),
        amount_fen=amount,
        township=new.township,
        village=new.village,
        bank=new.bank,
        account_number=new.account_number.strip(),
        account_holder=(new.account_holder or new.name).strip(),
        documents="; ".join(d.strip() for d in new.documents if d.strip()),
        case_date=case_date,
        over_cap=bool(above),
        approvals_required=rule.checkers,
        approvals_other_department=rule.other_department,
        status="pending",
        created_by=operator,
        created_by_key=name_key(operator),
        created_at=moment,
    )
    key = str(
        connection.execute(
            sa.text("SELECT key FROM recipients WHERE id = :id"), {"id": recipient_id}
        ).scalar_one()
    )
    record_event(
        connection,
        operator=operator,
        action="oneoff.case_added",
        subject_type="oneoff_case",
        subject_id=case_id,
        scopes=["roster"],  # the applicant may have been registered as a recipient
        detail={
            "recipient": key,
            "household": new.household.strip(),
            "category": category,
            "amount_fen": amount,
            "over_cap": above,
            "approvals_required": rule.checkers,
        },
    )
    uow.commit()
    return AddedCase(case_id, key, amount, rule.checkers, rule.other_department, above)


@dataclass(frozen=True)
class CaseApproval:
    case_id: int
    approver: str
    approvals: int
    required: int
    approved: bool
    missing: str


def approve_case(
    uow: UnitOfWork, case_id: int, *, operator: str, now: datetime | None = None
) -> CaseApproval:
    """Record one finance checker's approval of a pending case (never its maker's, never
    twice by one checker); the case is approved when the approvals meet its rule."""
    connection = uow.connection
    batches_store.lock_batches(connection)
    case = store.load_case(connection, case_id, lock=True)
    if case.status != "pending":
        raise LedgerError(f"one-off case {case_id} is already {case.status}")
    key = name_key(operator)
    if key == case.created_by_key:
        raise LedgerError(
            f"one-off case {case_id} was added by {case.created_by}: it must be approved "
            "by a different operator (maker-checker)"
        )
    previous = store.approvals(connection, case_id)
    checker = checkers.checker(connection, operator, previous, f"one-off case {case_id}")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    store.insert_approval(
        connection,
        case_id=case_id,
        operator=checker.name,
        operator_key=key,
        department=checker.department or None,
        approved_at=moment,
    )
    count, required = len(previous) + 1, int(case.approvals_required)
    missing = checkers.still_missing(
        connection,
        previous,
        checker,
        maker_key=case.created_by_key,
        required=required,
        other_department=bool(case.approvals_other_department),
    )
    if not missing:
        store.set_approved(connection, case_id, checker.name, moment)
    record_event(
        connection,
        operator=checker.name,
        action="oneoff.case_approved" if not missing else "oneoff.approval_recorded",
        subject_type="oneoff_case",
        subject_id=case_id,
        detail={"approval": count, "required": required},
    )
    uow.commit()
    return CaseApproval(case_id, checker.name, count, required, not missing, " and ".join(missing))


def add_batches(
    connection: sa.Connection,
    county: County,
    period: str,
    *,
    operator: str,
    now: datetime,
    programs: Collection[str] = (),
    banks: Collection[str] = (),
    case_ids: Sequence[int] | None = None,
) -> list[int]:
    """The one-off batches of a run (``batch run`` calls this; the caller screens them
    and commits): every approved, unpaid case (or only ``case_ids``). None without an
    ``[oneoff]`` section, or when ``programs`` leaves the one-off program out."""
    if county.oneoff is None or (programs and county.oneoff.program not in programs):
        return []
    return store.create_batches(
        connection,
        program=county.oneoff.program,
        period=period,
        e2e_prefix=end_to_end_prefix(county.code, period),
        operator=operator,
        now=now,
        rule_for=county.approval.rule_for,
        case_ids=case_ids,
        banks=banks,
    )
