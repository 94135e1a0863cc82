"""扣减 deductions: recovering an overpayment by deducting from future payments
(issue 18, docs/deductions.md; the entries in docs/ledger.md, "扣减 deductions").

A plan (``ledger batch deduction add``) decides to recover part or all of what a
recipient owes on the recovery sub-ledger (``Assets:Receivable:Recovery:{r}``, posted
by ``findings recover``) from their future regular payments of one program. It posts
nothing: it is a decision, and each deduction it causes is shown on the approval sheet
of its batch, whose checkers approve it with the batch (maker-checker).

At ``batch run`` each staged regular payment whose recipient has a plan with something
left is reduced by the least of: what is left, the plan's instalment (``--per-month``),
the county's ceiling (``[deductions]``: ``max_share_bp`` of the payment, ``max_fen``)
and what the receivable still holds; the instruction (the bank line) is the net.
When the batch is approved the entitlement is accrued gross and its deduction settles
part of the payable against the receivable (one accrual transaction):
Dr Expenses:Assistance / Cr Payable gross; Dr Payable / Cr Receivable:Recovery the
deduction; the bank then pays the net, which settles the rest of the payable.

The deduction follows its payment: a payment held by the screening keeps its
deduction, posted only when (and if) that payment is accrued: released while the batch
is a draft, or paid later by ``batch reissue --with-held``. A voided batch releases its
deductions (their entitlements are voided; the accrual's reversal restores the
receivable), and the next run deducts again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ledger import accounts, households
from ledger.county import County, unknown_code
from ledger.db import deductions_store as store
from ledger.db.events import record_event
from ledger.db.schema import enrolments, recipients
from ledger.db.uow import UnitOfWork
from ledger.errors import ValidationError
from ledger.money import format_yuan


@dataclass(frozen=True)
class Plan:
    id: int
    recipient_key: str
    program: str
    amount_fen: int
    per_month_fen: int | None


def add_plan(
    uow: UnitOfWork,
    county: County,
    *,
    recipient: str,
    program: str,
    amount_fen: int,
    reason: str,
    operator: str,
    per_month_fen: int | None = None,
    now: datetime | None = None,
) -> Plan:
    """Record a deduction plan; refused, naming the option, for an unknown recipient or
    program, a non-positive amount, an instalment above the county's ceiling of the
    recipient's current monthly amount, no reason, a plan already open for the
    recipient, or more than the recovery receivable still holds."""
    connection = uow.connection
    problems: list[str] = []
    who = recipient.strip().upper()
    column = recipients.c.key if who.startswith("R") else recipients.c.id_number
    person = connection.execute(sa.select(recipients).where(column == who)).first()
    if person is None:
        problems.append(f"--recipient: no recipient {recipient!r} (a key R0000001 or an ID number)")
    if program not in county.programs:
        problems.append("--program: " + unknown_code("program", program, county.programs))
    if amount_fen <= 0:
        problems.append(f"--amount: must be more than 0, got {format_yuan(amount_fen)}")
    if per_month_fen is not None and per_month_fen <= 0:
        problems.append(f"--per-month: must be more than 0, got {format_yuan(per_month_fen)}")
    if not reason.strip():
        problems.append("--reason: say which overpayment is recovered (finding, document)")
    if person is not None and program in county.programs:
        current = connection.execute(
            sa.select(enrolments.c.amount_fen).where(
                enrolments.c.recipient_id == person.id,
                enrolments.c.program == program,
                enrolments.c.valid_to_import.is_(None),
            )
        ).scalar()
        if per_month_fen is not None and per_month_fen > 0 and current is not None:
            ceiling = county.deductions.ceiling(int(current))
            if per_month_fen > ceiling:
                problems.append(
                    f"--per-month: {format_yuan(per_month_fen)} is above the ceiling "
                    f"({format_yuan(ceiling)} of the monthly {format_yuan(int(current))}: "
                    f"county.toml [deductions] max_share_bp = {county.deductions.max_share_bp}"
                    + (
                        f", max_fen = {county.deductions.max_fen}"
                        if county.deductions.max_fen is not None
                        else ""
                    )
                    + ")"
                )
        for plan in store.open_plans(connection, int(person.id)):
            problems.append(
                f"--recipient: {person.key} already has plan {plan.id} ({plan.program}, "
                f"{format_yuan(int(plan.remaining))} yuan left): one open plan per recipient"
            )
        outstanding = store.available(connection, int(person.id), str(person.key))
        if amount_fen > outstanding:
            problems.append(
                f"--amount: {format_yuan(amount_fen)} is more than "
                f"{accounts.recovery_receivable(str(person.key))} still holds "
                f"({format_yuan(max(outstanding, 0))}; `findings recover` records an overpayment)"
            )
    if problems:
        raise ValidationError("the deduction plan was refused, nothing was recorded:", problems)
    assert person is not None
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    plan_id = store.insert_plan(
        connection,
        recipient_id=int(person.id),
        program=program,
        amount_fen=amount_fen,
        per_month_fen=per_month_fen,
        reason=reason.strip(),
        operator=operator,
        now=moment,
    )
    record_event(
        connection,
        operator=operator,
        action="deduction.plan_added",
        subject_type="deduction_plan",
        subject_id=plan_id,
        detail={
            "recipient": str(person.key),
            "program": program,
            "amount_fen": amount_fen,
            "per_month_fen": per_month_fen,
        },
        scopes=["deductions"],
    )
    uow.commit()
    return Plan(plan_id, str(person.key), program, amount_fen, per_month_fen)


def stage_for_run(connection: sa.Connection, county: County) -> str | None:
    """Before the run's entitlements are inserted: stage its deductions; the staged
    table's name when there are any (``batches_store.insert_staged`` nets them)."""
    if connection.exec_driver_sql("SELECT 1 FROM deduction_plans LIMIT 1").first() is None:
        return None
    staged = store.stage(connection, county.deductions)
    skipped = sorted(households.household_programs(county))
    if staged and skipped:
        # A household payment is one instruction to the head for every member: a member's
        # deduction waits (docs/deductions.md) rather than leave the payment gross.
        staged -= store.unstage_programs(connection, skipped)
    if not staged:
        store.drop_staged(connection)
        return None
    return store.STAGED


def record_for_run(connection: sa.Connection, base: int, batch_ids: list[int]) -> int:
    """After the run's entitlements are inserted (ids ``base`` + ordinal): record the
    staged deductions."""
    return store.record(connection, base, batch_ids)


def accrual_postings(
    connection: sa.Connection, batch_id: int, ids: list[int], amounts: list[int]
) -> tuple[list[int], list[str], list[int], list[int | None]]:
    """For a batch's accrual (``ids``, ``amounts``: the instructions accrued, their net
    amounts): the gross amounts, and the postings settling each deduction: Dr Payable
    (the deduction) / Cr Receivable:Recovery, each naming its instruction."""
    deducted = store.of_instructions(connection, batch_id)
    if not deducted:
        return amounts, [], [], []
    gross = list(amounts)
    names: list[str] = []
    fen: list[int] = []
    instruction_ids: list[int | None] = []
    program = connection.execute(
        sa.text("SELECT program FROM batches WHERE id = :b"), {"b": int(batch_id)}
    ).scalar_one()
    for index, instruction_id in enumerate(ids):
        found = deducted.get(int(instruction_id))
        if found is None:
            continue
        key, amount = found
        gross[index] += amount
        names += [accounts.payable(str(program), key), accounts.recovery_receivable(key)]
        fen += [amount, -amount]
        instruction_ids += [int(instruction_id), int(instruction_id)]
    return gross, names, fen, instruction_ids


def sheet_context(connection: sa.Connection, batch_id: int) -> dict[str, Any]:
    rows = store.of_batch(connection, batch_id)
    return {
        "deductions": [
            {
                "line": int(r.line_number),
                "key": r.key,
                "name": r.name,
                "gross": format_yuan(int(r.gross), thousands=True),
                "deduction": format_yuan(int(r.deduction), thousands=True),
                "net": format_yuan(int(r.net), thousands=True),
                "plan": int(r.plan_id),
                "held": r.status == "held",
            }
            for r in rows
        ],
        "deductions_total": format_yuan(sum(int(r.deduction) for r in rows), thousands=True),
    }
