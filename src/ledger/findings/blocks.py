"""The named building blocks the rules' queries and candidates are made of.

A rule reads as its ``Rule`` record plus one query over these blocks, its evidence and
its summary.

Columns: a query's columns are a mapping, frame column -> SQL expression, in order;
``PAYMENT`` names a payment (instruction, recipient, key, program, township, amount).

SQL (``?`` placeholders, one ``ctx.period`` per period block):

- ``instructions(select, where, joins)``: instructions ``i`` in their batches ``b`` (and,
  by default, with their recipient ``r``);
- ``period_payments(select, joins, where)``: the period's live payments, instructions in
  a batch of the period that is not voided, pending or settled, with their recipient; a
  household payment is one row per member (``PERSON_PAYMENTS``), so that rules about
  persons see every member;
- ``PAID_ENTITLEMENT`` (entitlement ``e``), ``PAID_ENROLMENT`` (entitlement ``n``,
  enrolment version ``e``), ``CURRENT_ENROLMENT`` (the recipient's current enrolment
  ``e`` in the batch's program), ``SETTLED_OUTCOME`` (the bank's settled outcome ``o``,
  left joined): what a payment is joined to;
- ``UNANSWERED``: sent and not answered (pending in an exported batch);
- ``live_having(column, having)``: the values of one instruction column whose live
  payments of the period satisfy a ``HAVING``; ``shared_cards(having)`` the account
  numbers so (one card, several recipients; cash payees have none);
- ``latest_list(alias, kind)``: the row belongs to the latest import of a reference list;
- ``on_list(table, alias, on, latest)``: joins the rows of a reference list naming the
  payment's recipient (or account).

Frames: ``select(ctx, columns, query, *params)`` runs a query built from the columns;
``payments(ctx, extra, joins, where, *params)`` the period's live payments with more
columns; ``list_matches`` the period's payments matched to a reference list.

Candidates (pandas):

- ``per_recipient``: one finding per recipient, the matching payments summed;
- ``per_recipient_month``: one finding per recipient, program and month (the age
  rules, whose rows ``overdue`` keeps: older than a threshold, with their age);
- ``per_account``: one finding per account (treasury or bank account);
- ``reference_evidence``: the reference list, import and line a match came from.
"""

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ledger.findings.base import Context, as_dates, empty, finish, group_payments

Columns = Mapping[str, str]

LIVE = "i.status IN ('pending', 'settled')"
NOT_VOIDED = "b.state <> 'voided'"

PAYMENT: dict[str, str] = {
    "instruction_id": "i.id",
    "recipient_id": "i.recipient_id",
    "key": "r.key",
    "program": "b.program",
    "township": "i.township",
    "amount_fen": "i.amount_fen",
}

RECIPIENT = " JOIN recipients r ON r.id = i.recipient_id"
PAID_ENTITLEMENT = " JOIN entitlements e ON e.id = i.entitlement_id"
PAID_ENROLMENT = (
    " JOIN entitlements n ON n.id = i.entitlement_id JOIN enrolments e ON e.id = n.enrolment_id"
)
CURRENT_ENROLMENT = (
    " JOIN enrolments e ON e.recipient_id = i.recipient_id AND e.program = b.program"
    "  AND e.valid_to_import IS NULL"
)
UNANSWERED = (
    "b.period <= ? AND b.state IN ('exported', 'partially_reconciled') AND i.status = 'pending'"
)
"""Sent and not answered: instructions still pending in an exported batch of the period
(one ``?``) or earlier."""
SETTLED_OUTCOME = (
    " LEFT JOIN instruction_outcomes o ON o.instruction_id = i.id AND o.outcome = 'settled'"
)


def instructions(
    select: str, where: str, joins: str = RECIPIENT, table: str = "payment_instructions"
) -> str:
    """``SELECT select`` over instructions ``i`` (rows of ``table``) in their batches
    ``b``, ``joins`` added (the recipient ``r`` unless told otherwise), ``WHERE where``."""
    return (
        f"SELECT {select} FROM batches b JOIN {table} i ON i.batch_id = b.id{joins} WHERE {where}"
    )


PERSON_PAYMENTS = (
    "(SELECT p.id, p.batch_id, COALESCE(s.entitlement_id, p.entitlement_id) AS entitlement_id,"
    " p.attempt, COALESCE(s.recipient_id, p.recipient_id) AS recipient_id, p.township,"
    " p.village, COALESCE(s.amount_fen, p.amount_fen) AS amount_fen, p.bank,"
    " p.account_number, p.account_holder, p.id_number, p.end_to_end_id, p.line_number,"
    " p.status, p.reissue_of, p.reason_code, p.reason_text, p.settled_at, p.failed_at,"
    " p.cancelled_at, CASE WHEN s.recipient_id IS NOT NULL AND s.recipient_id <> p.recipient_id"
    " THEN 1 ELSE 0 END AS household_member,"
    " CASE WHEN ip.entitlement_id IS NULL THEN 0 ELSE 1 END AS institution_resident"
    " FROM payment_instructions p"
    " LEFT JOIN household_shares s ON s.household_entitlement_id = p.entitlement_id"
    " LEFT JOIN institution_payments ip ON ip.entitlement_id = p.entitlement_id)"
)
"""The instructions as payments to persons: a household payment (``ledger.households``)
is one row per member (the member's entitlement, recipient and share; the payee's card;
``household_member`` 1 for the members besides the head, who share the head's card by
right); an institution's payment (``ledger.institutions``) one row per resident, with
``institution_resident`` 1 (paid to the institution's account by right); any other
instruction is itself."""


PAID_BY_RIGHT = " AND i.household_member = 0 AND i.institution_resident = 0"
"""Leaves out the persons paid to another's account by right (``PERSON_PAYMENTS``): a
household's members (to the head's card) and an institution's residents (集中供养, to
the institution's account)."""


def period_payments(select: str, joins: str = "", where: str = "") -> str:
    """``SELECT select`` over the period's live payments to persons (``PERSON_PAYMENTS``;
    one ``?``: the period)."""
    return instructions(
        select,
        f"b.period = ? AND {NOT_VOIDED} AND {LIVE}{where}",
        RECIPIENT + joins,
        PERSON_PAYMENTS,
    )


def live_having(column: str, having: str, where: str = "") -> str:
    """Values of ``i2.column`` whose live payments of the period (one ``?``) satisfy
    ``having`` (``b2`` batches, ``i2`` instructions)."""
    return (
        f"SELECT i2.{column} FROM batches b2 JOIN payment_instructions i2 ON i2.batch_id = b2.id"
        " WHERE b2.period = ? AND b2.state <> 'voided' AND i2.status IN ('pending', 'settled')"
        f"{where} GROUP BY i2.{column} HAVING {having}"
    )


def shared_cards(having: str) -> str:
    """The account numbers whose live payments of the period (one ``?``) satisfy
    ``having``; never the empty number of cash payees (现金发放), who have no card."""
    return live_having("account_number", having, " AND i2.account_number <> ''")


def latest_list(alias: str, kind: str) -> str:
    """The reference row ``alias`` is from the latest import of the ``kind`` list."""
    return f"{alias}.import_id = (SELECT MAX(id) FROM refdata_imports WHERE kind = '{kind}')"


def on_list(table: str, alias: str, on: str = "", latest: str = "") -> str:
    """Joins the rows ``alias`` of the reference list ``table`` that name the payment's
    recipient (``on``: another condition, such as the account), from the latest import
    of the ``latest`` list if named."""
    condition = on or f"{alias}.id_number = r.id_number"
    return f" JOIN {table} {alias} ON {condition}" + (
        f" AND {latest_list(alias, latest)}" if latest else ""
    )


def select(
    ctx: Context, columns: Columns, query: Callable[[str], str], *params: Any
) -> pd.DataFrame:
    """The named ``columns`` of ``query(select list)``, run with ``params``."""
    return ctx.frame(query(", ".join(columns.values())), params, list(columns))


def payments(
    ctx: Context, extra: Columns | None = None, joins: str = "", where: str = "", *params: Any
) -> pd.DataFrame:
    """The period's live payments (``PAYMENT`` and the ``extra`` columns), joined and
    filtered further; ``params`` follow the period."""
    return select(
        ctx,
        {**PAYMENT, **(extra or {})},
        lambda columns: period_payments(columns, joins, where),
        ctx.period,
        *params,
    )


def list_matches(
    ctx: Context, alias: str, join: str, extra: Columns, where: str = "", *params: Any
) -> pd.DataFrame:
    """The period's payments matched to reference rows ``alias`` (``join``), with the
    ``extra`` columns, the import and the line; one row per payment (the first list
    row, by file line)."""
    rows = payments(ctx, {**extra, **reference_row(alias)}, join, where, *params)
    # One row per payment and person (a household payment: one per member).
    return rows.sort_values(["instruction_id", "row_no"]).drop_duplicates(
        ["instruction_id", "recipient_id"]
    )


def reference_row(alias: str) -> dict[str, str]:
    """The columns naming a reference row's import and file line (``reference_evidence``)."""
    return {"import_id": f"{alias}.import_id", "row_no": f"{alias}.row_no"}


def reference_evidence(
    table: str, *texts: str, numbers: tuple[str, ...] = ()
) -> Callable[[Any], dict[str, Any]]:
    """Evidence of a reference-list match: the table, its import and the file's line,
    and the named columns of the matched row (``numbers`` as int, or None when empty)."""
    return lambda g: {
        "reference": table,
        "refdata_import_id": int(g.import_id),
        "line": int(g.row_no),
        **{column: getattr(g, column) for column in texts},
        **{column: _whole(getattr(g, column)) for column in numbers},
    }


def _whole(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def per_recipient(
    ctx: Context,
    rows: pd.DataFrame,
    summary: Callable[..., str],
    *,
    evidence: Callable[[Any], dict[str, Any]] | None = None,
    severity: Any = "high",
    amount: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> pd.DataFrame:
    """One finding per recipient: the period's matching payments summed, instructions
    listed; township, program and every other column taken from the first payment."""
    if rows.empty:
        return empty()
    extra = {
        column: (column, "first")
        for column in rows.columns
        if column not in ("instruction_id", "recipient_id", "key", "amount_fen")
    }
    groups = group_payments(rows, ["recipient_id", "key"], extra=extra)
    return finish(
        groups,
        subject_type="recipient",
        subject_id=groups["key"],
        period=ctx.period,
        amount_fen=groups["amount_fen"] if amount is None else amount(groups),
        township=groups["township"],
        program=groups["program"],
        recipient_id=groups["recipient_id"],
        severity=severity(groups) if callable(severity) else severity,
        evidence=lambda g: {
            "instruction_ids": g.instruction_ids,
            **(evidence(g) if evidence else {}),
        },
        summary=summary,
    )


def per_account(
    ctx: Context,
    rows: pd.DataFrame,
    evidence: Callable[[Any], dict[str, Any]],
    summary: Callable[..., str],
    *,
    account: str = "account",
    amount: pd.Series | None = None,
    severity: str = "high",
) -> pd.DataFrame:
    """One finding of the period per row about an account (a treasury account, an account
    number): its program and township where the rows have them."""
    return finish(
        rows,
        subject_type="account",
        subject_id=rows[account],
        period=ctx.period,
        amount_fen=rows["amount_fen"] if amount is None else amount,
        township=rows.get("township"),
        program=rows.get("program"),
        severity=severity,
        evidence=evidence,
        summary=summary,
    )


def overdue(
    ctx: Context, rows: pd.DataFrame, since: str, threshold: str
) -> tuple[pd.DataFrame, int]:
    """The rows more than the county's ``threshold`` days old on the day of the run,
    counted from their ``since`` column, with that ``age``; and the threshold."""
    limit = ctx.threshold(threshold)
    age = (pd.Timestamp(ctx.as_of) - as_dates(rows[since])).dt.days
    return rows.assign(age=age)[age > limit], limit


def per_recipient_month(
    rows: pd.DataFrame,
    evidence: Callable[[Any], dict[str, Any]],
    summary: Callable[..., str],
    *,
    severity: str = "high",
) -> pd.DataFrame:
    """One finding per recipient, program and period of the instruction rows (columns of
    ``PAYMENT`` plus ``period``; the age rules): a person's lines of one month, such as
    the regular one and its supplements (分类施保), are one finding, their amounts summed
    and their instructions listed; the evidence and the summary are the first line's."""
    if rows.empty:
        return empty()
    first = {c: (c, "first") for c in rows.columns if c not in ("instruction_id", "amount_fen")}
    by = ["key", "program", "period"]
    groups = group_payments(rows.sort_values("instruction_id"), by, extra=first)
    return finish(
        groups,
        subject_type="recipient",
        subject_id=groups["key"],
        period=groups["period"],
        amount_fen=groups["amount_fen"],
        township=groups["township"],
        program=groups["program"],
        recipient_id=groups["recipient_id"],
        severity=severity,
        evidence=lambda g: {"instruction_ids": g.instruction_ids, **evidence(g)},
        summary=summary,
    )
