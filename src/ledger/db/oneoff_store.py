"""The SQL behind 临时救助 one-off cases: the cases, their approvals, and their
entitlements and instructions in one-off batches (``INSERT ... SELECT``). Nothing here
commits or decides policy: ``ledger.oneoff`` does."""

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ledger.batches import BatchKind
from ledger.db.batches_store import Group, e2e_expression, insert_batch, next_sequence
from ledger.db.locked_rows import one_row
from ledger.db.schema import oneoff_approvals, oneoff_cases, recipients
from ledger.identity import birth_date, sex_of


def ensure_recipient(connection: sa.Connection, id_number: str, name: str, now: datetime) -> int:
    """The recipient with this ID number, registered now (next key R...) if the roster
    never named them: a 临时救助 applicant need not be enrolled in any program."""
    found = connection.execute(
        sa.select(recipients.c.id).where(recipients.c.id_number == id_number)
    ).scalar()
    if found is not None:
        return int(found)
    integer = "BIGINT" if connection.dialect.name == "postgresql" else "INTEGER"
    last = connection.exec_driver_sql(
        f"SELECT COALESCE(MAX(CAST(SUBSTR(key, 2) AS {integer})), 0) FROM recipients"
    ).scalar_one()
    return int(
        connection.execute(
            recipients.insert()
            .values(
                key=f"R{int(last) + 1:07d}",
                id_number=id_number,
                name=name,
                sex=sex_of(id_number),
                birth_date=birth_date(id_number),
                created_at=now,
            )
            .returning(recipients.c.id)
        ).scalar_one()
    )


def household_year_total(connection: sa.Connection, household_id: str, year: int) -> int:
    """Fen granted to a household's cases dated in ``year`` (not a cancelled payment)."""
    total = connection.execute(
        sa.text(
            "SELECT COALESCE(SUM(c.amount_fen), 0) FROM oneoff_cases c"
            " WHERE c.household_id = :household AND c.case_date BETWEEN :first AND :last"
            " AND NOT EXISTS (SELECT 1 FROM entitlements t WHERE t.case_id = c.id"
            " AND t.status = 'cancelled')"
        ).bindparams(sa.bindparam("first", type_=sa.Date), sa.bindparam("last", type_=sa.Date)),
        {"household": household_id, "first": date(year, 1, 1), "last": date(year, 12, 31)},
    ).scalar_one()
    return int(total)


def insert_case(connection: sa.Connection, **values: Any) -> int:
    return int(
        connection.execute(
            oneoff_cases.insert().values(**values).returning(oneoff_cases.c.id)
        ).scalar_one()
    )


def load_case(connection: sa.Connection, case_id: int, *, lock: bool = False) -> sa.Row[Any]:
    query = sa.select(oneoff_cases).where(oneoff_cases.c.id == case_id)
    missing = f"one-off case {case_id} does not exist (see `ledger oneoff list`)"
    return one_row(connection, query, missing, lock=lock)


def approvals(connection: sa.Connection, case_id: int) -> list[sa.Row[Any]]:
    a = oneoff_approvals
    return list(connection.execute(sa.select(a).where(a.c.case_id == case_id).order_by(a.c.id)))


def insert_approval(connection: sa.Connection, **values: Any) -> None:
    connection.execute(oneoff_approvals.insert().values(**values))


def set_approved(connection: sa.Connection, case_id: int, operator: str, now: datetime) -> None:
    connection.execute(
        oneoff_cases.update()
        .where(oneoff_cases.c.id == case_id, oneoff_cases.c.status == "pending")
        .values(status="approved", approved_by=operator, approved_at=now)
    )


_PAYMENT = "(SELECT t.batch_id FROM entitlements t WHERE t.case_id = c.id AND t.status <> 'voided')"
_INSTRUCTION = (
    "(SELECT MAX(i.status) FROM payment_instructions i JOIN entitlements t"
    " ON t.id = i.entitlement_id WHERE t.case_id = c.id AND t.status <> 'voided'"
    " AND i.attempt = (SELECT MAX(q.attempt) FROM payment_instructions q"
    " WHERE q.entitlement_id = t.id))"
)


def list_cases(
    connection: sa.Connection,
    *,
    status: str | None = None,
    household: str | None = None,
    township: str | None = None,
) -> list[sa.Row[Any]]:
    """Cases with their applicant's key and name, the batch paying them (if any) and
    that payment's latest instruction status, oldest first."""
    where, params = ["1 = 1"], {}
    for column, value in (("c.status", status), ("c.household_id", household)):
        if value is not None:
            where.append(f"{column} = :{column[2:]}")
            params[column[2:]] = value
    if township is not None:
        where.append("c.township = :township")
        params["township"] = township
    return list(
        connection.execute(
            sa.text(
                "SELECT c.*, r.key, r.name, r.id_number, "
                f"{_PAYMENT} AS batch_id, {_INSTRUCTION} AS payment_status"
                " FROM oneoff_cases c JOIN recipients r ON r.id = c.recipient_id WHERE "
                + " AND ".join(where)
                + " ORDER BY c.id"
            ),
            params,
        )
    )


def _payable(case_ids: Sequence[int] | None, banks: Collection[str]) -> tuple[str, dict[str, Any]]:
    """Approved cases not paid by a live entitlement (optionally only these ids and banks)."""
    sql = (
        " FROM oneoff_cases c JOIN recipients r ON r.id = c.recipient_id"
        " WHERE c.status = 'approved' AND NOT EXISTS (SELECT 1 FROM entitlements t"
        " WHERE t.case_id = c.id AND t.status <> 'voided')"
    )
    params: dict[str, Any] = {}
    if case_ids is not None:
        params.update({f"case{n}": int(v) for n, v in enumerate(case_ids)})
        sql += f" AND c.id IN ({', '.join(':' + k for k in params)})"
    if banks:
        names = {f"bank{n}": b for n, b in enumerate(sorted(banks))}
        sql += f" AND c.bank IN ({', '.join(':' + k for k in names)})"
        params.update(names)
    return sql, params


def create_batches(
    connection: sa.Connection,
    *,
    program: str,
    period: str,
    e2e_prefix: str,
    operator: str,
    now: datetime,
    rule_for: Any,
    case_ids: Sequence[int] | None = None,
    banks: Collection[str] = (),
) -> list[int]:
    """One one-off batch per bank for the payable cases, one entitlement (kind
    ``oneoff``, the case's amount, township and village, dated ``period``) and one
    instruction each, in township, village, recipient order. Returns the batch ids.
    The caller holds the batch lock (``lock_batches``)."""
    source, params = _payable(case_ids, banks)
    groups = [
        Group(program, str(bank), int(n), int(total))
        for bank, n, total in connection.execute(
            sa.text(
                "SELECT c.bank, COUNT(*), SUM(c.amount_fen)"
                + source
                + " GROUP BY c.bank ORDER BY 1"
            ),
            params,
        )
    ]
    ids = []
    for group in groups:
        batch_id = insert_batch(
            connection,
            period=period,
            group=group,
            kind=BatchKind.ONEOFF,
            sequence=next_sequence(connection, period, program, group.bank, BatchKind.ONEOFF),
            operator=operator,
            now=now,
            rule=rule_for(group.amount_fen_total),
        )
        ids.append(batch_id)
        bound = {**params, "batch": batch_id, "program": program, "period": period}
        connection.execute(
            sa.text(
                "INSERT INTO entitlements (recipient_id, enrolment_id, program, period, kind,"
                " amount_fen, township, village, batch_id, status, case_id)"
                " SELECT c.recipient_id, NULL, :program, :period, 'oneoff', c.amount_fen,"
                " c.township, c.village, :batch, 'open', c.id"
                + source
                + " AND c.bank = :bank ORDER BY c.township, c.village, r.key, c.id"
            ),
            {**bound, "bank": group.bank},
        )
        e2e = e2e_expression(connection, "t.id", "1")
        connection.execute(
            sa.text(
                "INSERT INTO payment_instructions (batch_id, entitlement_id, attempt,"
                " recipient_id, township, village, amount_fen, bank, account_number,"
                " account_holder, id_number, end_to_end_id, line_number, status)"
                " SELECT t.batch_id, t.id, 1, t.recipient_id, t.township, t.village,"
                " t.amount_fen, c.bank, c.account_number, c.account_holder, r.id_number,"
                f" {e2e}, ROW_NUMBER() OVER (ORDER BY t.township, t.village, r.key, c.id),"
                " 'pending' FROM entitlements t JOIN oneoff_cases c ON c.id = t.case_id"
                " JOIN recipients r ON r.id = t.recipient_id WHERE t.batch_id = :batch"
            ),
            {"batch": batch_id, "prefix": e2e_prefix},
        )
    return ids


def batch_cases(connection: sa.Connection, batch_id: int) -> list[sa.Row[Any]]:
    """The cases a one-off batch pays, in its line order: instruction, case, applicant,
    category, place, amount, documents, who added and approved it."""
    return list(
        connection.execute(
            sa.text(
                "SELECT i.id AS instruction_id, i.line_number, i.status, c.id, r.key,"
                " i.account_holder AS name, c.household_id, c.category, c.township, c.village,"
                " i.amount_fen, c.documents, c.reason, c.over_cap, c.created_by, c.approved_by"
                " FROM payment_instructions i JOIN entitlements t ON t.id = i.entitlement_id"
                " JOIN oneoff_cases c ON c.id = t.case_id"
                " JOIN recipients r ON r.id = c.recipient_id"
                " WHERE i.batch_id = :batch ORDER BY i.line_number"
            ),
            {"batch": int(batch_id)},
        )
    )
