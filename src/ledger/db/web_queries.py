"""The web console's reads that no command has yet: a period's money through the
treasury, a payment instruction with everything that refers to it, one transaction,
search. Each is a few indexed queries (by id, by account, by period), never a scan of
the postings of every recipient.
"""

import json
from typing import Any

import sqlalchemy as sa

from ledger.db.read_columns import INSTRUCTION_LINE, OUTCOME, RETURN_FILE, totals
from ledger.db.schema import (
    accounts,
    batches,
    enrolments,
    findings,
    instruction_outcomes,
    payment_instructions,
    postings,
    recipients,
    reconciliation_exceptions,
    return_files,
    return_outcome_counts,
    transactions,
)

Rows = list[dict[str, Any]]


def _rows(connection: sa.Connection, query: Any, params: dict[str, Any] | None = None) -> Rows:
    return [dict(r._mapping) for r in connection.execute(query, params or {})]


def periods(connection: sa.Connection) -> list[str]:
    """Periods with a batch or a finding, newest first."""
    query = sa.union(sa.select(batches.c.period), sa.select(findings.c.period))
    return sorted({str(r[0]) for r in connection.execute(query)}, reverse=True)


def treasury_flows(connection: sa.Connection, period: str) -> Rows:
    """Money through the treasury accounts in a period, by program and transaction type:
    ``debit_fen`` in (allocations, failed payments back), ``credit_fen`` out (handed to
    the banks, surplus returned). Treasury accounts are few: their postings are few."""
    p, a, t = postings, accounts, transactions
    # The treasury accounts first (a handful), then their postings by the account index:
    # never a scan of the recipients' postings.
    treasury = [
        int(r[0])
        for r in connection.execute(
            sa.select(a.c.id).where(a.c.name.startswith("Assets:Treasury:", autoescape=True))
        )
    ]
    if not treasury:
        return []
    query = (
        sa.select(
            a.c.name.label("account"),
            t.c.type,
            sa.func.sum(sa.case((p.c.amount_fen > 0, p.c.amount_fen), else_=0)).label("debit_fen"),
            sa.func.sum(sa.case((p.c.amount_fen < 0, -p.c.amount_fen), else_=0)).label(
                "credit_fen"
            ),
            sa.func.count().label("postings"),
        )
        .select_from(p)
        .join(a, a.c.id == p.c.account_id)
        .join(t, t.c.id == p.c.transaction_id)
        .where(p.c.account_id.in_(treasury), t.c.period == period)
        .group_by(a.c.name, t.c.type)
        .order_by(a.c.name, t.c.type)
    )
    return _rows(connection, query)


def findings_by_category(connection: sa.Connection, period: str) -> Rows:
    f = findings
    return _rows(
        connection, totals((f.c.category, f.c.status), f.c.amount_fen, f.c.period == period)
    )


def filter_choices(connection: sa.Connection) -> dict[str, list[str]]:
    f = findings
    out = {}
    for name, column in (("rule", f.c.rule), ("township", f.c.township)):
        values = connection.execute(sa.select(column).distinct().where(column.is_not(None)))
        out[name] = sorted(str(v[0]) for v in values)
    return out


def instruction(connection: sa.Connection, instruction_id: int) -> dict[str, Any] | None:
    i, b = payment_instructions, batches
    row = connection.execute(
        sa.select(
            i,
            recipients.c.key.label("recipient_key"),
            recipients.c.name.label("recipient_name"),
            b.c.period,
            b.c.program,
            b.c.state.label("batch_state"),
            b.c.file_name,
            b.c.file_sha256,
            b.c.profile,
            b.c.pay_date,
            b.c.exported_at,
        )
        .join(recipients, recipients.c.id == i.c.recipient_id)
        .join(b, b.c.id == i.c.batch_id)
        .where(i.c.id == instruction_id)
    ).first()
    return None if row is None else dict(row._mapping)


def instruction_outcomes_of(connection: sa.Connection, instruction_id: int) -> Rows:
    o, f = instruction_outcomes, return_files
    query = (
        sa.select(
            o.c.id,
            *OUTCOME,
            o.c.booking_date,
            o.c.line,
            o.c.element,
            *RETURN_FILE,
        )
        .join(f, f.c.id == o.c.return_file_id)
        .where(o.c.instruction_id == instruction_id)
        .order_by(o.c.recorded_at, o.c.id)
    )
    return _rows(connection, query)


def exceptions_of(connection: sa.Connection, instruction_id: int) -> Rows:
    e, f = reconciliation_exceptions, return_files
    query = (
        sa.select(e.c.id, e.c.kind, e.c.line, e.c.detail, e.c.amount_fen, f.c.file_name)
        .join(f, f.c.id == e.c.return_file_id)
        .where(e.c.instruction_id == instruction_id)
        .order_by(e.c.id)
    )
    return _rows(connection, query)


def postings_of_instruction(connection: sa.Connection, instruction_id: int) -> Rows:
    p, a, t = postings, accounts, transactions
    query = (
        sa.select(
            p.c.id.label("posting_id"),
            t.c.id.label("transaction_id"),
            t.c.effective_date,
            t.c.type,
            a.c.name.label("account"),
            p.c.amount_fen,
        )
        .join(a, a.c.id == p.c.account_id)
        .join(t, t.c.id == p.c.transaction_id)
        .where(p.c.instruction_id == instruction_id)
        .order_by(t.c.id, p.c.id)
    )
    return _rows(connection, query)


def reissues_of(connection: sa.Connection, instruction_id: int) -> Rows:
    i = payment_instructions
    return _rows(
        connection,
        sa.select(i.c.id, i.c.batch_id, i.c.attempt, i.c.status).where(
            i.c.reissue_of == instruction_id
        ),
    )


def findings_citing(
    connection: sa.Connection, *, recipient_id: int | None, instruction_id: int | None = None
) -> Rows:
    """A recipient's findings; with ``instruction_id`` only those whose evidence names
    that instruction (the way back from an instruction to what was found about it)."""
    f = findings
    query = (
        sa.select(
            f.c.id,
            f.c.rule,
            f.c.category,
            f.c.period,
            f.c.status,
            f.c.amount_fen,
            f.c.summary,
            f.c.evidence,
        )
        .where(f.c.recipient_id == recipient_id)
        .order_by(f.c.period, f.c.id)
    )
    rows = _rows(connection, query)
    if instruction_id is None:
        return rows
    return [
        r
        for r in rows
        if instruction_id in (json.loads(r["evidence"]).get("instruction_ids") or [])
    ]


def findings_of_account_subject(connection: sa.Connection, instruction_id: int) -> Rows:
    """Findings about an account or batch (no recipient) whose evidence names the
    instruction; few rows (shared accounts, return lines), read whole."""
    f = findings
    rows = _rows(
        connection,
        sa.select(
            f.c.id, f.c.rule, f.c.category, f.c.period, f.c.status, f.c.amount_fen, f.c.evidence
        ).where(f.c.recipient_id.is_(None)),
    )
    return [
        r
        for r in rows
        if instruction_id in (json.loads(r["evidence"]).get("instruction_ids") or [])
    ]


def transaction(connection: sa.Connection, transaction_id: int) -> dict[str, Any] | None:
    row = connection.execute(
        sa.select(transactions).where(transactions.c.id == transaction_id)
    ).first()
    return None if row is None else dict(row._mapping)


def transaction_postings(connection: sa.Connection, transaction_id: int, limit: int) -> Rows:
    p, a = postings, accounts
    query = (
        sa.select(
            p.c.id.label("posting_id"),
            a.c.name.label("account"),
            p.c.amount_fen,
            p.c.instruction_id,
        )
        .join(a, a.c.id == p.c.account_id)
        .where(p.c.transaction_id == transaction_id)
        # The order of the (transaction_id, account_id) index: the first page of an
        # accrual of 10^6 postings is read, not sorted.
        .order_by(p.c.account_id, p.c.id)
        .limit(limit)
    )
    return _rows(connection, query)


def search_recipients(connection: sa.Connection, kind: str, text: str, limit: int = 50) -> Rows:
    """By ID number (exact), card number (exact, any roster version) or name (exact or
    starting with)."""
    r = recipients
    query = sa.select(r.c.id, r.c.key, r.c.name, r.c.id_number, r.c.birth_date)
    if kind == "id":
        query = query.where(r.c.id_number == text.upper())
    elif kind == "card":
        holders = sa.select(enrolments.c.recipient_id).where(enrolments.c.account_number == text)
        query = query.where(r.c.id.in_(holders))
    else:
        query = query.where(sa.or_(r.c.name == text, r.c.name.startswith(text, autoescape=True)))
    return _rows(connection, query.order_by(r.c.key).limit(limit))


def recipient_id(connection: sa.Connection, key: str) -> int | None:
    found = connection.execute(sa.select(recipients.c.id).where(recipients.c.key == key)).scalar()
    return None if found is None else int(found)


def batch_instructions(connection: sa.Connection, batch_id: int, limit: int | None) -> Rows:
    i = payment_instructions
    query = (
        sa.select(
            *INSTRUCTION_LINE,
            i.c.amount_fen,
            i.c.account_number,
            i.c.account_holder,
            i.c.attempt,
            i.c.status,
            i.c.reason_code,
        )
        .join(recipients, recipients.c.id == i.c.recipient_id)
        .where(i.c.batch_id == batch_id)
        .order_by(i.c.line_number)
    )
    return _rows(connection, query if limit is None else query.limit(limit))


def return_file(connection: sa.Connection, file_id: int) -> dict[str, Any] | None:
    row = connection.execute(sa.select(return_files).where(return_files.c.id == file_id)).first()
    return None if row is None else dict(row._mapping)


def return_file_counts(connection: sa.Connection, file_id: int) -> Rows:
    """The file's outcomes per batch and outcome, as kept at its import (a few rows)."""
    k = return_outcome_counts
    return _rows(
        connection,
        sa.select(k.c.batch_id, k.c.outcome, k.c.lines, k.c.amount_fen)
        .where(k.c.return_file_id == file_id)
        .order_by(k.c.batch_id, k.c.outcome),
    )


def return_lines(connection: sa.Connection, file_id: int, limit: int | None) -> Rows:
    """The lines of a return file as the ledger recorded them: each matched line's
    outcome, and each line that matched nothing (an exception)."""
    o, i, e = instruction_outcomes, payment_instructions, reconciliation_exceptions
    matched = (
        sa.select(
            o.c.line,
            i.c.end_to_end_id,
            o.c.instruction_id,
            o.c.outcome,
            o.c.reason_code,
            o.c.amount_fen,
            o.c.transaction_id,
            sa.literal(None).label("exception"),
        )
        .join(i, i.c.id == o.c.instruction_id)
        .where(o.c.return_file_id == file_id)
    )
    unmatched = sa.select(
        e.c.line,
        e.c.end_to_end_id,
        e.c.instruction_id,
        sa.literal(None),
        sa.literal(None),
        e.c.amount_fen,
        sa.literal(None),
        e.c.kind,
    ).where(e.c.return_file_id == file_id)
    query = sa.union_all(matched, unmatched).order_by("line")
    return _rows(connection, query if limit is None else query.limit(limit))


def payable_townships(connection: sa.Connection) -> dict[tuple[str, str], str]:
    """(program, recipient key) -> the township of the recipient's current enrolment."""
    a, r, e = accounts, recipients, enrolments
    query = (
        sa.select(a.c.program, a.c.recipient, e.c.township)
        .join(r, r.c.key == a.c.recipient)
        .join(e, sa.and_(e.c.recipient_id == r.c.id, e.c.program == a.c.program))
        .where(a.c.name.startswith("Liabilities:Payable:"), e.c.valid_to_import.is_(None))
    )
    return {(str(p), str(k)): str(t) for p, k, t in connection.execute(query)}
