"""The SQL of 扣减 deductions (``ledger.deductions``): what a recipient still owes on
a plan, what the recovery receivable still has, the deductions of a ``batch run``
(set-based, from its staged rows) and what a batch's accrual posts for them."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.db.schema import deduction_plans
from ledger.kinds_rules import DeductionRules

STAGED = "ledger_run_deductions"

_LIVE = "JOIN entitlements lt ON lt.id = d.entitlement_id AND lt.status <> 'voided'"


def _remaining(plan: str) -> str:
    """SQL: a plan's amount less its live deductions."""
    return (
        f"({plan}.amount_fen - COALESCE((SELECT SUM(d.amount_fen) FROM deductions d {_LIVE}"
        f" WHERE d.plan_id = {plan}.id), 0))"
    )


def _available(recipient_id: str, key: str) -> str:
    """SQL: the recovery receivable's balance less the live deductions not yet posted
    (live deductions + the receivable's postings that name a live entitlement's
    instruction, which are their posted credits)."""
    receivable = f"('Assets:Receivable:Recovery:' || {key})"
    return (
        "(COALESCE((SELECT SUM(pp.amount_fen) FROM postings pp JOIN accounts a"
        f" ON a.id = pp.account_id WHERE a.name = {receivable}), 0)"
        " - COALESCE((SELECT SUM(d.amount_fen) FROM deductions d"
        f" {_LIVE} JOIN deduction_plans q ON q.id = d.plan_id"
        f" WHERE q.recipient_id = {recipient_id}), 0)"
        " - COALESCE((SELECT SUM(pp.amount_fen) FROM postings pp JOIN accounts a"
        " ON a.id = pp.account_id JOIN payment_instructions pi ON pi.id = pp.instruction_id"
        " JOIN entitlements lt ON lt.id = pi.entitlement_id AND lt.status <> 'voided'"
        f" WHERE a.name = {receivable}), 0))"
    )


def open_plans(connection: sa.Connection, recipient_id: int) -> list[sa.Row[Any]]:
    """The recipient's plans with something left: id, program, amount, remaining."""
    return list(
        connection.execute(
            sa.text(
                f"SELECT p.id, p.program, p.amount_fen, {_remaining('p')} AS remaining"
                f" FROM deduction_plans p WHERE p.recipient_id = :r AND {_remaining('p')} > 0"
                " ORDER BY p.id"
            ),
            {"r": int(recipient_id)},
        )
    )


def available(connection: sa.Connection, recipient_id: int, key: str) -> int:
    return int(
        connection.execute(
            sa.text(f"SELECT {_available(':r', ':k')}"), {"r": int(recipient_id), "k": key}
        ).scalar_one()
    )


def insert_plan(
    connection: sa.Connection,
    *,
    recipient_id: int,
    program: str,
    amount_fen: int,
    per_month_fen: int | None,
    reason: str,
    operator: str,
    now: datetime,
) -> int:
    return int(
        connection.execute(
            deduction_plans.insert()
            .values(
                recipient_id=recipient_id,
                program=program,
                amount_fen=amount_fen,
                per_month_fen=per_month_fen,
                reason=reason,
                created_by=operator,
                created_at=now,
            )
            .returning(deduction_plans.c.id)
        ).scalar_one()
    )


def list_plans(connection: sa.Connection, recipient_id: int | None = None) -> list[sa.Row[Any]]:
    where = "" if recipient_id is None else " WHERE p.recipient_id = :r"
    return list(
        connection.execute(
            sa.text(
                "SELECT p.id, r.key, p.program, p.amount_fen, p.per_month_fen,"
                f" {_remaining('p')} AS remaining, p.reason, p.created_by, p.created_at"
                f" FROM deduction_plans p JOIN recipients r ON r.id = p.recipient_id{where}"
                " ORDER BY p.id"
            ),
            {} if recipient_id is None else {"r": int(recipient_id)},
        )
    )


def stage(connection: sa.Connection, rules: DeductionRules) -> int:
    """The run's deductions, one per staged row whose recipient has a plan with
    something left in its program: the least of what is left, the plan's instalment,
    the ceiling of the row's amount and what the receivable still has. Into the
    temporary ``STAGED`` table (ordinal, plan, amount); returns how many."""
    postgres = connection.dialect.name == "postgresql"
    least = "LEAST" if postgres else "MIN"
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGED}")
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {STAGED} (ordinal BIGINT PRIMARY KEY, plan_id BIGINT,"
        " recipient_id BIGINT, amount_fen BIGINT)" + (" ON COMMIT DROP" if postgres else "")
    )
    ceiling = "(s.amount_fen * CAST(:bp AS BIGINT) / 10000)"
    if rules.max_fen is not None:
        ceiling = f"{least}({ceiling}, CAST(:max_fen AS BIGINT))"
    amount = f"{least}(o.remaining, COALESCE(o.per_month_fen, o.remaining), {ceiling}, o.avail)"
    created = connection.execute(
        sa.text(
            f"INSERT INTO {STAGED} (ordinal, plan_id, recipient_id, amount_fen)"
            f" SELECT s.ordinal, o.id, s.recipient_id, {amount} FROM ledger_run_rows s"
            f" JOIN (SELECT p.id, p.recipient_id, p.program, p.per_month_fen,"
            f"  {_remaining('p')} AS remaining, {_available('p.recipient_id', 'r.key')} AS avail"
            "  FROM deduction_plans p JOIN recipients r ON r.id = p.recipient_id) o"
            " ON o.recipient_id = s.recipient_id AND o.program = s.program"
            f" WHERE o.remaining > 0 AND {amount} > 0"
        ),
        {"bp": rules.max_share_bp, "max_fen": rules.max_fen},
    ).rowcount
    if postgres:
        connection.exec_driver_sql(f"ANALYZE {STAGED}")  # temporary: never auto-analysed
    return int(created)


def record(connection: sa.Connection, base: int, batch_ids: Sequence[int]) -> int:
    """The staged deductions of the new batches' regular entitlements, recorded: the
    entitlement of a staged row is ``base`` + its ordinal (``batches_store.insert_staged``),
    a primary-key lookup (rows of groups that got no new batch have none)."""
    if not batch_ids:
        return 0
    ids = ", ".join(str(int(b)) for b in batch_ids)
    count = connection.execute(
        sa.text(
            "INSERT INTO deductions (plan_id, batch_id, entitlement_id, amount_fen)"
            # CROSS JOIN: SQLite keeps this order (the few staged rows first, each one
            # primary-key lookup); driven by the batch index it scanned them per line.
            f" SELECT d.plan_id, t.batch_id, t.id, d.amount_fen FROM {STAGED} d"
            " CROSS JOIN entitlements t WHERE t.id = :base + d.ordinal"
            "  AND t.recipient_id = d.recipient_id AND t.kind = 'regular'"
            f" AND t.batch_id IN ({ids}) ORDER BY t.id"
        ),
        {"base": int(base)},
    ).rowcount
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGED}")
    return int(count)


def unstage_programs(connection: sa.Connection, programs: list[str]) -> int:
    """Drop the staged deductions of the run's rows in ``programs``; return how many."""
    names = {f"up{n}": p for n, p in enumerate(programs)}
    return int(
        connection.execute(
            sa.text(
                f"DELETE FROM {STAGED} WHERE ordinal IN (SELECT s.ordinal FROM ledger_run_rows s"
                f" WHERE s.program IN ({', '.join(':' + k for k in names)}))"
            ),
            names,
        ).rowcount
        or 0
    )


def drop_staged(connection: sa.Connection) -> None:
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGED}")


def of_instructions(connection: sa.Connection, batch_id: int) -> dict[int, tuple[str, int]]:
    """{instruction id: (recipient key, deduction fen)} of a batch's instructions whose
    entitlement carries a deduction."""
    rows = connection.execute(
        sa.text(
            "SELECT i.id, r.key, d.amount_fen FROM payment_instructions i"
            " JOIN deductions d ON d.entitlement_id = i.entitlement_id"
            " JOIN recipients r ON r.id = i.recipient_id WHERE i.batch_id = :b"
        ),
        {"b": int(batch_id)},
    )
    return {int(i): (str(k), int(f)) for i, k, f in rows}


def of_batch(connection: sa.Connection, batch_id: int) -> list[sa.Row[Any]]:
    """A batch's deducted lines: line, key, name, gross, deduction, net, status, plan."""
    return list(
        connection.execute(
            sa.text(
                "SELECT i.line_number, r.key, i.account_holder AS name, t.amount_fen AS gross,"
                " d.amount_fen AS deduction, i.amount_fen AS net, i.status, d.plan_id"
                " FROM payment_instructions i"
                " JOIN deductions d ON d.entitlement_id = i.entitlement_id"
                " JOIN entitlements t ON t.id = i.entitlement_id"
                " JOIN recipients r ON r.id = i.recipient_id"
                " WHERE i.batch_id = :b ORDER BY i.line_number"
            ),
            {"b": int(batch_id)},
        )
    )


def of_recipient(connection: sa.Connection, recipient_id: int) -> dict[int, int]:
    """{entitlement id: deduction fen} of a recipient's deductions."""
    rows = connection.execute(
        sa.text(
            "SELECT d.entitlement_id, d.amount_fen FROM deductions d"
            " JOIN entitlements t ON t.id = d.entitlement_id WHERE t.recipient_id = :r"
        ),
        {"r": int(recipient_id)},
    )
    return {int(e): int(f) for e, f in rows}
