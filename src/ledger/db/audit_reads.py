"""Read-side queries for auditors: one person's whole record (a batch's trail:
``batch_trail_reads``).

Every query of a person's history starts from an index on the person (``recipients``
by ID number or key, then ``enrolments``, ``entitlements`` and ``payment_instructions``
by recipient id, ``accounts`` by recipient key) and reaches the rest by primary key or
by an index on the joining column, so one person's history costs a few dozen index
probes whatever the size of the ledger (``bench/bench_history.py``; ``tests`` check the
plans). Nothing here is cut by date: the rows of one person are few, and
``ledger.history`` applies ``--as-of`` to them in Python, the same way on both databases.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa

from ledger import accounts as chart
from ledger.db.read_columns import OUTCOME, RETURN_FILE
from ledger.db.schema import (
    accounts,
    batches,
    enrolments,
    entitlements,
    household_shares,
    instruction_outcomes,
    payment_instructions,
    postings,
    recipients,
    return_files,
    roster_imports,
    transactions,
)
from ledger.errors import LedgerError

Rows = list[dict[str, Any]]


@dataclass
class RawHistory:
    """One person's rows, uncut: ``ledger.history.build_history`` shapes them."""

    recipient: dict[str, Any]
    enrolments: Rows
    entitlements: Rows
    instructions: Rows
    outcomes: Rows
    postings: Rows
    # Ids of the transactions among ``postings`` that also moved a BankClearing account.
    clearing_transactions: set[int]


def rows_of(
    connection: sa.Connection, query: sa.Executable, params: dict[str, Any] | None = None
) -> Rows:
    return [dict(row._mapping) for row in connection.execute(query, params)]


@cache
def recipient_query(by_key: bool) -> sa.Select[Any]:
    """By ID number (18 characters) or by key (``R0000001``): both are unique.
    Parameter ``who``. The statements here are built once (parameters bound at run)."""
    column = recipients.c.key if by_key else recipients.c.id_number
    return sa.select(recipients).where(column == sa.bindparam("who"))


def _looks_like_key(who: str) -> bool:
    return len(who) < 18 and who[:1].upper() == "R"


@cache
def enrolments_query() -> sa.Select[Any]:
    created = roster_imports.alias("created_by_import")
    closed = roster_imports.alias("closed_by_import")
    return (
        sa.select(
            enrolments,
            created.c.file_name.label("from_file_name"),
            created.c.file_sha256.label("from_file_sha256"),
            created.c.operator.label("from_operator"),
            created.c.imported_at.label("from_imported_at"),
            closed.c.file_name.label("to_file_name"),
            closed.c.operator.label("to_operator"),
            closed.c.imported_at.label("to_imported_at"),
        )
        .select_from(enrolments)
        .join(created, created.c.id == enrolments.c.valid_from_import)
        .outerjoin(closed, closed.c.id == enrolments.c.valid_to_import)
        .where(enrolments.c.recipient_id == sa.bindparam("rid"))
        .order_by(enrolments.c.program, enrolments.c.valid_from_import, enrolments.c.id)
    )


@cache
def entitlements_query() -> sa.Select[Any]:
    return (
        sa.select(
            entitlements,
            batches.c.created_at.label("batch_created_at"),
            batches.c.voided_at.label("batch_voided_at"),
        )
        .join(batches, batches.c.id == entitlements.c.batch_id)
        .where(entitlements.c.recipient_id == sa.bindparam("rid"))
        .order_by(entitlements.c.period, entitlements.c.program, entitlements.c.id)
    )


def _person_instructions(columns: Any) -> sa.Subquery:
    """The instructions that pay the person ``rid``, as payments to them: their own, and
    the household payments (``ledger.households``) of which they have a share, with
    their entitlement and share (``entitlement_id``, ``amount_fen``)."""
    i, s = payment_instructions, household_shares
    shared = sa.exists().where(s.c.household_entitlement_id == i.c.entitlement_id)
    own = sa.select(
        *columns, i.c.entitlement_id.label("entitlement_id"), i.c.amount_fen.label("amount_fen")
    ).where(i.c.recipient_id == sa.bindparam("rid"), ~shared)
    member = (
        sa.select(
            *columns,
            s.c.entitlement_id.label("entitlement_id"),
            s.c.amount_fen.label("amount_fen"),
        )
        .join(s, s.c.household_entitlement_id == i.c.entitlement_id)
        .where(s.c.recipient_id == sa.bindparam("rid"))
    )
    return sa.union_all(own, member).subquery("person_instructions")


@cache
def instructions_query() -> sa.Select[Any]:
    i, b = payment_instructions, batches
    pi = _person_instructions(
        (
            i.c.id,
            i.c.batch_id,
            i.c.attempt,
            i.c.bank,
            i.c.account_number,
            i.c.account_holder,
            i.c.end_to_end_id,
            i.c.line_number,
            i.c.status,
            i.c.reissue_of,
            i.c.reason_code,
            i.c.reason_text,
            i.c.settled_at,
            i.c.failed_at,
            i.c.cancelled_at,
        )
    )
    return (
        sa.select(
            pi.c.id,
            pi.c.batch_id,
            pi.c.entitlement_id,
            pi.c.attempt,
            pi.c.amount_fen,
            pi.c.bank,
            pi.c.account_number,
            pi.c.account_holder,
            pi.c.end_to_end_id,
            pi.c.line_number,
            pi.c.status,
            pi.c.reissue_of,
            pi.c.reason_code,
            pi.c.reason_text,
            pi.c.settled_at,
            pi.c.failed_at,
            pi.c.cancelled_at,
            b.c.period,
            b.c.program,
            b.c.kind.label("batch_kind"),
            b.c.state.label("batch_state"),
            b.c.created_by.label("batch_created_by"),
            b.c.created_at.label("batch_created_at"),
            b.c.approved_by.label("batch_approved_by"),
            b.c.approved_at.label("batch_approved_at"),
            b.c.exported_by.label("batch_exported_by"),
            b.c.exported_at.label("batch_exported_at"),
            b.c.file_name.label("batch_file_name"),
            b.c.file_sha256.label("batch_file_sha256"),
            b.c.pay_date.label("batch_pay_date"),
            b.c.voided_by.label("batch_voided_by"),
            b.c.voided_at.label("batch_voided_at"),
        )
        .join(b, b.c.id == pi.c.batch_id)
        .order_by(pi.c.id)
    )


@cache
def outcomes_query() -> sa.Select[Any]:
    i, o, f = payment_instructions, instruction_outcomes, return_files
    return (
        sa.select(
            o.c.id,
            o.c.instruction_id,
            *OUTCOME,
            o.c.line,
            o.c.element,
            *RETURN_FILE,
            f.c.imported_at,
        )
        .select_from(o)
        .join(f, f.c.id == o.c.return_file_id)
        .where(o.c.instruction_id.in_(sa.select(_person_instructions((i.c.id,)).c.id)))
        .order_by(o.c.recorded_at, o.c.id)
    )


@cache
def postings_query() -> sa.Select[Any]:
    """Postings to the person's own accounts (payables, recovery receivable)."""
    a, p, t = accounts, postings, transactions
    return (
        sa.select(
            p.c.id.label("posting_id"),
            p.c.transaction_id,
            p.c.amount_fen,
            p.c.instruction_id,
            a.c.name.label("account"),
            a.c.program,
            t.c.effective_date,
            t.c.type,
            t.c.description,
            t.c.operator,
            t.c.recorded_at,
            t.c.reverses_id,
        )
        .select_from(a)
        .join(p, p.c.account_id == a.c.id)
        .join(t, t.c.id == p.c.transaction_id)
        .where(a.c.recipient == sa.bindparam("key"))
        .order_by(t.c.effective_date, t.c.id, p.c.id)
    )


@cache
def account_ids_query() -> sa.Select[Any]:
    return sa.select(accounts.c.id).where(
        accounts.c.name.in_(sa.bindparam("names", expanding=True))
    )


@cache
def clearing_legs_query() -> sa.Select[Any]:
    """Which of these transactions moved one of these (BankClearing) accounts: probes of
    ``postings(transaction_id, account_id)``, never a read of a whole transaction."""
    return (
        sa.select(postings.c.transaction_id)
        .where(postings.c.transaction_id.in_(sa.bindparam("txs", expanding=True)))
        .where(postings.c.account_id.in_(sa.bindparam("accounts", expanding=True)))
        .distinct()
    )


def load_history(connection: sa.Connection, who: str) -> RawHistory:
    """Every row about one person (ID number or key); ``LedgerError`` if unknown."""
    who = who.strip().upper()
    person = connection.execute(recipient_query(_looks_like_key(who)), {"who": who}).first()
    if person is None:
        raise LedgerError(f"no recipient has the ID number or key {who!r}")
    recipient = dict(person._mapping)
    rid, key = int(recipient["id"]), str(recipient["key"])
    instructions = rows_of(connection, instructions_query(), {"rid": rid})
    lines = rows_of(connection, postings_query(), {"key": key})
    clearing: set[int] = set()
    # A payable debit is a payment when its transaction also moved the clearing
    # account of the bank that carried the person's instruction.
    debit_txs = {
        int(p["transaction_id"])
        for p in lines
        if p["amount_fen"] > 0 and str(p["account"]).startswith("Liabilities:Payable:")
    }
    banks = {str(i["bank"]) for i in instructions}
    if debit_txs and banks:
        clearing_ids = [
            int(x)
            for x in connection.execute(
                account_ids_query(), {"names": sorted(chart.bank_clearing(b) for b in banks)}
            ).scalars()
        ]
        if clearing_ids:
            clearing = {
                int(x)
                for x in connection.execute(
                    clearing_legs_query(), {"txs": sorted(debit_txs), "accounts": clearing_ids}
                ).scalars()
            }
    return RawHistory(
        recipient=recipient,
        enrolments=rows_of(connection, enrolments_query(), {"rid": rid}),
        entitlements=rows_of(connection, entitlements_query(), {"rid": rid}),
        instructions=instructions,
        outcomes=rows_of(connection, outcomes_query(), {"rid": rid}),
        postings=lines,
        clearing_transactions=clearing,
    )


def history_queries(recipient_id: int, key: str, id_number: str) -> dict[str, sa.Select[Any]]:
    """The queries ``load_history`` runs for one person, by name: for plan checks."""
    return {
        "recipient": recipient_query(False).params(who=id_number),
        "enrolments": enrolments_query().params(rid=recipient_id),
        "entitlements": entitlements_query().params(rid=recipient_id),
        "instructions": instructions_query().params(rid=recipient_id),
        "outcomes": outcomes_query().params(rid=recipient_id),
        "postings": postings_query().params(key=key),
        "clearing_accounts": account_ids_query().params(names=["Assets:BankClearing:ICBC"]),
        "clearing_legs": clearing_legs_query().params(txs=[1, 2, 3], accounts=[1, 2]),
    }


def disclosure_rows(
    connection: sa.Connection,
    period: str,
    *,
    township: str | None = None,
    village: str | None = None,
) -> list[sa.Row[Any]]:
    """The public-disclosure lines of a period: open regular entitlements with the
    person's name and household size. Selects no ID or account column at all."""
    n = entitlements
    query = (
        sa.select(
            n.c.township,
            n.c.village,
            recipients.c.name,
            enrolments.c.household_size,
            n.c.program,
            n.c.amount_fen,
        )
        .join(recipients, recipients.c.id == n.c.recipient_id)
        .join(enrolments, enrolments.c.id == n.c.enrolment_id)
        .where(n.c.period == period)
        .where(n.c.status == "open")
        .order_by(n.c.township, n.c.village, n.c.program, recipients.c.key)
    )
    if township is not None:
        query = query.where(n.c.township == township)
    if village is not None:
        query = query.where(n.c.village == village)
    return list(connection.execute(query))


# Tables whose full scan would make one person's history slow at 10^6 recipients (the
# batches, roster imports and return files number hundreds, not millions).
LARGE_TABLES = frozenset(
    {
        "recipients",
        "enrolments",
        "entitlements",
        "payment_instructions",
        "instruction_outcomes",
        "accounts",
        "postings",
        "transactions",
    }
)


def query_plan(connection: sa.Connection, query: sa.Select[Any]) -> list[str]:
    """The database's plan for ``query``, one line per step (SQLite: EXPLAIN QUERY PLAN;
    PostgreSQL: EXPLAIN)."""
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        return [str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    return [str(row[0]) for row in connection.exec_driver_sql("EXPLAIN " + sql)]


def full_scans(connection: sa.Connection, plan: list[str]) -> list[str]:
    """The steps of a plan that read a whole large table (no index)."""
    found = []
    for step in plan:
        if connection.dialect.name == "sqlite":
            words = step.split()
            if len(words) >= 2 and words[0] == "SCAN" and words[1] in LARGE_TABLES:
                found.append(step)
        elif "Seq Scan on " in step:
            table = step.split("Seq Scan on ", 1)[1].split()[0]
            if table in LARGE_TABLES:
                found.append(step)
    return found
