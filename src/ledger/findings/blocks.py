"""The named building blocks the rules' queries and candidates are made of.

SQL (``?`` placeholders, one ``ctx.period`` per period block):

- ``period_payments(select, joins, where)``: the period's live payments, instructions in
  a batch of the period that is not voided, pending or settled, with their recipient
  (``b`` batches, ``i`` instructions, ``r`` recipients); a household payment is one row
  per member (``PERSON_PAYMENTS``), so that rules about persons see every member;
- ``PAID_ENROLMENT``: joins the entitlement ``n`` and the enrolment version ``e`` a
  payment was computed from;
- ``live_having(column, having)``: the values of one instruction column whose live
  payments of the period satisfy a ``HAVING`` (one account, several recipients ...);
- ``latest_list(alias, kind)``: the row belongs to the latest import of a reference list.

Candidates (pandas):

- ``per_recipient``: one finding per recipient, the matching payments summed;
- ``per_instruction``: one finding per instruction (the age rules);
- ``reference_evidence``: the reference list, import and line a match came from.
"""

from collections.abc import Callable
from typing import Any

import pandas as pd

from ledger.findings.base import Context, empty, finish, group_payments, records

LIVE = "i.status IN ('pending', 'settled')"

PAYMENT_COLUMNS = ["instruction_id", "recipient_id", "key", "program", "township", "amount_fen"]
PAYMENT_SELECT = "i.id, i.recipient_id, r.key, b.program, i.township, i.amount_fen"

PAID_ENROLMENT = (
    " JOIN entitlements n ON n.id = i.entitlement_id JOIN enrolments e ON e.id = n.enrolment_id"
)


PERSON_PAYMENTS = (
    "(SELECT p.id, p.batch_id, COALESCE(s.entitlement_id, p.entitlement_id) AS entitlement_id,"
    " p.attempt, COALESCE(s.recipient_id, p.recipient_id) AS recipient_id, p.township,"
    " p.village, COALESCE(s.amount_fen, p.amount_fen) AS amount_fen, p.bank,"
    " p.account_number, p.account_holder, p.id_number, p.end_to_end_id, p.line_number,"
    " p.status, p.reissue_of, p.reason_code, p.reason_text, p.settled_at, p.failed_at,"
    " p.cancelled_at, CASE WHEN s.recipient_id IS NOT NULL AND s.recipient_id <> p.recipient_id"
    " THEN 1 ELSE 0 END AS household_member"
    " FROM payment_instructions p"
    " LEFT JOIN household_shares s ON s.household_entitlement_id = p.entitlement_id)"
)
"""The instructions as payments to persons: a household payment (``ledger.households``)
is one row per member (the member's entitlement, recipient and share; the payee's card;
``household_member`` 1 for the members besides the head, who share the head's card by
right); any other instruction is itself."""


def period_payments(select: str, joins: str = "", where: str = "") -> str:
    """``SELECT select`` over the period's live payments to persons (``PERSON_PAYMENTS``;
    one ``?``: the period)."""
    return (
        f"SELECT {select} FROM batches b"
        f" JOIN {PERSON_PAYMENTS} i ON i.batch_id = b.id"
        f" JOIN recipients r ON r.id = i.recipient_id{joins}"
        f" WHERE b.period = ? AND b.state <> 'voided' AND {LIVE}{where}"
    )


def live_having(column: str, having: str, where: str = "") -> str:
    """Values of ``i2.column`` whose live payments of the period (one ``?``) satisfy
    ``having`` (``b2`` batches, ``i2`` instructions)."""
    return (
        f"SELECT i2.{column} FROM batches b2 JOIN payment_instructions i2 ON i2.batch_id = b2.id"
        " WHERE b2.period = ? AND b2.state <> 'voided' AND i2.status IN ('pending', 'settled')"
        f"{where} GROUP BY i2.{column} HAVING {having}"
    )


def latest_list(alias: str, kind: str) -> str:
    """The reference row ``alias`` is from the latest import of the ``kind`` list."""
    return f"{alias}.import_id = (SELECT MAX(id) FROM refdata_imports WHERE kind = '{kind}')"


def reference_evidence(table: str) -> Callable[[Any], dict[str, Any]]:
    """Evidence of a reference-list match: the table, its import and the file's line."""
    return lambda g: {
        "reference": table,
        "refdata_import_id": int(g.import_id),
        "line": int(g.row_no),
    }


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
        evidence=[
            {"instruction_ids": g.instruction_ids, **(evidence(g) if evidence else {})}
            for g in records(groups)
        ],
        summary=[summary(g) for g in records(groups)],
    )


def per_instruction(
    rows: pd.DataFrame,
    evidence: Callable[[Any], dict[str, Any]],
    summary: Callable[..., str],
    *,
    severity: str = "high",
) -> pd.DataFrame:
    """One finding per instruction row (columns of ``PAYMENT_COLUMNS`` plus ``period``)."""
    return finish(
        rows,
        subject_type="recipient",
        subject_id=rows["key"],
        period=rows["period"],
        amount_fen=rows["amount_fen"],
        township=rows["township"],
        program=rows["program"],
        recipient_id=rows["recipient_id"],
        severity=severity,
        evidence=[
            {"instruction_ids": [int(r.instruction_id)], **evidence(r)} for r in records(rows)
        ],
        summary=[summary(r) for r in records(rows)],
    )
