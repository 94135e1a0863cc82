"""The SQL of household payments (按户发放, ``ledger.households``): set-based, at
``batch run``, from the run's staged rows and the entitlements just inserted.

A household program's batch gets its members' entitlements from
``batches_store.insert_staged`` like any other; its instructions are written here
instead: one per household, to the head's card, for the members' total, naming the
head's entitlement; ``household_shares`` links every member's entitlement to it.
"""

from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db.batches_store import e2e_expression, in_list
from ledger.db.bulk import fetch_all
from ledger.db.schema.base import Timestamp

_RUN_TABLE = "ledger_run_rows"  # batches_store.stage_eligible's table


def household_problems(
    connection: sa.Connection, groups: Collection[tuple[str, str]], programs: Collection[str]
) -> list[tuple[str, str, int, int, int]]:
    """Households of the staged rows (of the new ``groups`` (program, bank), in the
    household ``programs``) that cannot be paid as one: (program, household id, heads,
    banks, places) where heads is not 1, or the members are at more than one bank or
    in more than one township and village."""
    if not groups or not programs:
        return []
    program_sql, params = in_list("s.program", programs, "hp")
    pairs = " OR ".join(f"(s.program = :gp{n} AND s.bank = :gb{n})" for n in range(len(groups)))
    for n, (program, bank) in enumerate(sorted(groups)):
        params[f"gp{n}"], params[f"gb{n}"] = program, bank
    rows = connection.execute(
        sa.text(
            "SELECT s.program, e.household_id,"
            " SUM(CASE WHEN e.household_head THEN 1 ELSE 0 END),"
            " COUNT(DISTINCT s.bank), COUNT(DISTINCT s.township || '/' || s.village)"
            f" FROM {_RUN_TABLE} s JOIN enrolments e ON e.id = s.enrolment_id"
            f" WHERE ({pairs}){program_sql}"
            " GROUP BY s.program, e.household_id"
            " HAVING SUM(CASE WHEN e.household_head THEN 1 ELSE 0 END) <> 1"
            " OR COUNT(DISTINCT s.bank) > 1"
            " OR COUNT(DISTINCT s.township || '/' || s.village) > 1"
            " ORDER BY s.program, e.household_id"
        ),
        params,
    )
    return [(str(p), str(h), int(n), int(b), int(v)) for p, h, n, b, v in rows]


def insert_household_instructions(
    connection: sa.Connection, batch_ids: Sequence[int], e2e_prefix: str
) -> int:
    """The shares and the one instruction per household of the household batches
    ``batch_ids`` (their regular entitlements are inserted, their instructions not yet).
    Line numbers run 1, 2... in the order of the heads' entitlements (township,
    village, recipient key). Returns the number of instructions."""
    if not batch_ids:
        return 0
    ids = ", ".join(str(int(b)) for b in batch_ids)
    connection.exec_driver_sql(
        "INSERT INTO household_shares (entitlement_id, household_entitlement_id, batch_id,"
        " recipient_id, amount_fen, household_id)"
        " SELECT t.id, h.id, t.batch_id, t.recipient_id, t.amount_fen, e.household_id"
        " FROM entitlements t JOIN enrolments e ON e.id = t.enrolment_id"
        " JOIN (SELECT t2.batch_id, e2.household_id, t2.id FROM entitlements t2"
        "  JOIN enrolments e2 ON e2.id = t2.enrolment_id"
        f"  WHERE t2.batch_id IN ({ids}) AND t2.kind = 'regular' AND e2.household_head) h"
        " ON h.batch_id = t.batch_id AND h.household_id = e.household_id"
        f" WHERE t.batch_id IN ({ids}) AND t.kind = 'regular' ORDER BY t.id"
    )
    e2e = e2e_expression(connection, "h.id", "1")
    result = connection.execute(
        sa.text(
            "INSERT INTO payment_instructions (batch_id, entitlement_id, attempt, recipient_id,"
            " township, village, amount_fen, bank, account_number, account_holder, id_number,"
            " end_to_end_id, line_number, status)"
            " SELECT h.batch_id, h.id, 1, h.recipient_id, h.township, h.village, s.total,"
            f" e.bank, e.account_number, e.account_holder, r.id_number, {e2e},"
            " ROW_NUMBER() OVER (PARTITION BY h.batch_id ORDER BY h.id), 'pending'"
            " FROM entitlements h JOIN enrolments e ON e.id = h.enrolment_id"
            " JOIN recipients r ON r.id = h.recipient_id"
            " JOIN (SELECT household_entitlement_id AS id, SUM(amount_fen) AS total"
            "  FROM household_shares WHERE household_entitlement_id IN"
            f"  (SELECT id FROM entitlements WHERE batch_id IN ({ids}))"
            "  GROUP BY household_entitlement_id) s ON s.id = h.id"
            " ORDER BY h.id"
        ),
        {"prefix": e2e_prefix},
    )
    return int(result.rowcount or 0)


def hold_deceased_members(
    connection: sa.Connection, batch_ids: Sequence[int], period_start: Any, now: Any
) -> None:
    """Hold a household instruction of the new batches when a member other than the
    head (whom the screening checks as the payee) is reported dead before the period:
    one hold row per such member, with the death list's evidence."""
    if not batch_ids:
        return
    ids = ", ".join(str(int(b)) for b in batch_ids)
    connection.execute(
        sa.text(
            "INSERT INTO instruction_holds (instruction_id, batch_id, reason, list_name,"
            " evidence_ref, evidence_date, source, detail, created_at)"
            " SELECT i.id, i.batch_id, 'deceased', 'ref_deaths',"
            " 'import ' || d.import_id || ' row ' || d.row_no, d.death_date, d.source,"
            " 'household member ' || r.key || ' ' || COALESCE(d.name, ''), :now"
            " FROM payment_instructions i"
            " JOIN household_shares s ON s.household_entitlement_id = i.entitlement_id"
            " JOIN recipients r ON r.id = s.recipient_id"
            " JOIN ref_deaths d ON d.id = (SELECT MIN(x.id) FROM ref_deaths x"
            "  WHERE x.id_number = r.id_number AND x.death_date < :start)"
            f" WHERE i.batch_id IN ({ids}) AND s.recipient_id <> i.recipient_id"
            " ORDER BY i.id, s.entitlement_id"
        ).bindparams(sa.bindparam("now", type_=Timestamp), sa.bindparam("start", type_=sa.Date())),
        {"now": now, "start": period_start},
    )


def hold_members_above_cap(
    connection: sa.Connection,
    batch_ids: Sequence[int],
    caps: dict[str, int],
    now: Any,
    *,
    institutions: bool = False,
) -> None:
    """In a household program whose cap is per person (``paid_per = "person"``), hold
    the household instruction of a member whose share is above the program's cap (the
    screening compares the instruction's total only for per-household caps); with
    ``institutions``, a care institution's line (集中供养) whose resident's share is
    above the cap (a line's total is its residents', never compared with the cap)."""
    if not batch_ids or not caps:
        return
    which, who = ("IN", "institution resident") if institutions else ("NOT IN", "household member")
    ids = ", ".join(str(int(b)) for b in batch_ids)
    cap = "CASE b.program " + " ".join(f"WHEN '{p}' THEN {int(c)}" for p, c in caps.items())
    cap += " END"
    connection.execute(
        sa.text(
            "INSERT INTO instruction_holds (instruction_id, batch_id, reason, list_name,"
            " evidence_ref, evidence_date, source, detail, created_at)"
            " SELECT i.id, i.batch_id, 'above_standard', 'county programs.monthly_cap',"
            f" CAST({cap} AS VARCHAR(20)), NULL, 'county.toml',"
            f" '{who} ' || r.key || ' ' || CAST(s.amount_fen AS VARCHAR(20)), :now"
            " FROM payment_instructions i JOIN batches b ON b.id = i.batch_id"
            " JOIN household_shares s ON s.household_entitlement_id = i.entitlement_id"
            " JOIN recipients r ON r.id = s.recipient_id"
            f" WHERE i.batch_id IN ({ids}) AND s.amount_fen > {cap}"
            f" AND i.entitlement_id {which} (SELECT entitlement_id FROM institution_payments)"
            " ORDER BY i.id, s.entitlement_id"
        ).bindparams(sa.bindparam("now", type_=Timestamp)),
        {"now": now},
    )


def cancel_member_entitlements(connection: sa.Connection, household_entitlement_id: int) -> int:
    """A cancelled household payment cancels every member's entitlement (the head's is
    cancelled by ``reconciliation_cancel`` itself)."""
    result = connection.execute(
        sa.text(
            "UPDATE entitlements SET status = 'cancelled' WHERE status = 'open' AND id IN"
            " (SELECT entitlement_id FROM household_shares WHERE household_entitlement_id = :h)"
        ),
        {"h": int(household_entitlement_id)},
    )
    return int(result.rowcount or 0)


def share_totals(
    connection: sa.Connection, batch_id: int, *, institutions: bool
) -> tuple[int, int, int]:
    """(lines, persons, amount fen) of a batch's instructions paid in shares: those of
    care institutions (集中供养, ``institutions``: lines, residents) or of households
    (households, members; an institution's residents are not a household). Every
    attempt in the batch: a batch holds one attempt of a payment."""
    which = "IN" if institutions else "NOT IN"
    rows = fetch_all(
        connection,
        "SELECT COUNT(DISTINCT i.id), COUNT(*), COALESCE(SUM(s.amount_fen), 0)"
        " FROM payment_instructions i"
        " JOIN household_shares s ON s.household_entitlement_id = i.entitlement_id"
        f" WHERE i.batch_id = ? AND i.entitlement_id {which}"
        " (SELECT entitlement_id FROM institution_payments)",
        (int(batch_id),),
    )
    lines, persons, total = rows[0] if rows else (0, 0, 0)
    return int(lines or 0), int(persons or 0), int(total or 0)
