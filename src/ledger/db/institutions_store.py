"""The SQL of 集中供养 institution payments (``ledger.institutions``): set-based, at
``batch run``, from the run's staged rows and the entitlements just inserted.

A resident's entitlement is inserted by ``batches_store.insert_staged`` like any other,
without an instruction (``RESIDENT``); here each institution of each new batch gets ONE
instruction, to its account, for its residents' total: ``household_shares`` links the
residents' entitlements to the carrier's (the lowest id), ``institution_payments``
names the carrier and the institution. A resident reported dead before the period is
left out of the institution's line: their entitlement is a line of its own (still to
the institution's account), which the screening holds (``hold_deceased_residents``).
"""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ledger.db.batches_store import e2e_expression
from ledger.db.bulk import fetch_all
from ledger.db.schema.base import Timestamp

_RUN_TABLE = "ledger_run_rows"  # batches_store.stage_eligible's table
# The enrolments of 集中供养 residents (partial index ix_enrolments_institution).
RESIDENT = "(SELECT id FROM enrolments WHERE institution IS NOT NULL)"
# Entitlements that carry an institution's instructions.
CARRIERS = "(SELECT entitlement_id FROM institution_payments)"


def any_residents(connection: sa.Connection) -> bool:
    """Whether any enrolment version names an institution (the partial index answers):
    a county without residents pays nothing for the steps below."""
    return bool(
        fetch_all(connection, "SELECT 1 FROM enrolments WHERE institution IS NOT NULL LIMIT 1")
    )


def any_payments(connection: sa.Connection) -> bool:
    """Whether any institution payment was ever made."""
    return bool(fetch_all(connection, "SELECT 1 FROM institution_payments LIMIT 1"))


def staged_problems(connection: sa.Connection) -> list[tuple[str, str, str, str, int]]:
    """(program, bank, institution, recipient key, roster row count) of the staged
    residents: every (program, bank, institution) with its first resident's key, for
    the caller to check against county.toml."""
    return [
        (str(p), str(b), str(i), str(k), int(n))
        for p, b, i, k, n in fetch_all(
            connection,
            "SELECT s.program, s.bank, e.institution, MIN(r.key), COUNT(*)"
            f" FROM {_RUN_TABLE} s JOIN enrolments e ON e.id = s.enrolment_id"
            " JOIN recipients r ON r.id = s.recipient_id WHERE e.institution IS NOT NULL"
            " GROUP BY s.program, s.bank, e.institution ORDER BY s.program, s.bank, e.institution",
        )
    ]


def unstage_deductions(connection: sa.Connection, staged: str) -> int:
    """Drop the staged deductions (``deductions_store.STAGED``) of residents: the
    institution is paid one instruction for all of them; a deduction waits."""
    return int(
        connection.exec_driver_sql(
            f"DELETE FROM {staged} WHERE ordinal IN (SELECT s.ordinal FROM {_RUN_TABLE} s"
            f" WHERE s.enrolment_id IN {RESIDENT})"
        ).rowcount
        or 0
    )


def insert_payments(
    connection: sa.Connection,
    batch_ids: Sequence[int],
    accounts: Mapping[str, tuple[str, str, str, str, str]],
    period_start: Any,
    e2e_prefix: str,
) -> int:
    """The shares, institution payments and instructions of the new batches
    ``batch_ids`` (their regular entitlements inserted, residents' without an
    instruction). ``accounts``: institution code -> (township, bank, account number,
    holder, credit code). Lines follow the batch's last line, in institution order (a
    dead resident's line after their institution's). Returns the instructions made."""
    if not batch_ids or not accounts:
        return 0
    ids = ", ".join(str(int(b)) for b in batch_ids)
    dead = (
        "EXISTS (SELECT 1 FROM recipients r JOIN ref_deaths d ON d.id_number = r.id_number"
        " WHERE r.id = t.recipient_id AND d.death_date < :start)"
    )
    # Each resident's group: their institution's line, or a line of their own if dead.
    groups = (
        "SELECT t.id, t.batch_id, t.recipient_id, t.amount_fen, e.household_id,"
        f" e.institution, CASE WHEN {dead} THEN t.id ELSE 0 END AS apart"
        " FROM entitlements t JOIN enrolments e ON e.id = t.enrolment_id"
        f" WHERE t.batch_id IN ({ids}) AND t.kind = 'regular' AND e.institution IS NOT NULL"
    )
    start = sa.bindparam("start", type_=sa.Date())
    connection.execute(
        sa.text(
            "INSERT INTO household_shares (entitlement_id, household_entitlement_id, batch_id,"
            " recipient_id, amount_fen, household_id)"
            " SELECT g.id, c.carrier, g.batch_id, g.recipient_id, g.amount_fen, g.household_id"
            f" FROM ({groups}) g JOIN (SELECT batch_id, institution, apart, MIN(id) AS carrier"
            f"  FROM ({groups}) x GROUP BY batch_id, institution, apart) c"
            " ON c.batch_id = g.batch_id AND c.institution = g.institution AND c.apart = g.apart"
            " ORDER BY g.id"
        ).bindparams(start),
        {"start": period_start},
    )
    connection.execute(
        sa.text(
            "INSERT INTO institution_payments (entitlement_id, batch_id, institution)"
            " SELECT MIN(id), batch_id, institution"
            f" FROM ({groups}) g GROUP BY batch_id, institution, apart ORDER BY MIN(id)"
        ).bindparams(start),
        {"start": period_start},
    )
    params: dict[str, Any] = {"prefix": e2e_prefix}
    fields = []
    for slot in range(5):  # township, bank, account number, holder, credit code
        cases = []
        for n, (code, values) in enumerate(sorted(accounts.items())):
            params[f"ic{slot}_{n}"], params[f"iv{slot}_{n}"] = code, values[slot]
            cases.append(f"WHEN :ic{slot}_{n} THEN :iv{slot}_{n}")
        fields.append(f"CASE p.institution {' '.join(cases)} END")
    township, bank, account, holder, credit = fields
    e2e = e2e_expression(connection, "p.entitlement_id", "1")
    result = connection.execute(
        sa.text(
            "INSERT INTO payment_instructions (batch_id, entitlement_id, attempt, recipient_id,"
            " township, village, amount_fen, bank, account_number, account_holder, id_number,"
            " end_to_end_id, line_number, status)"
            f" SELECT p.batch_id, p.entitlement_id, 1, t.recipient_id, {township},"
            f" p.institution, s.total, {bank}, {account}, {holder}, {credit}, {e2e},"
            " COALESCE(m.last, 0) + ROW_NUMBER() OVER (PARTITION BY p.batch_id"
            "  ORDER BY p.institution, p.entitlement_id), 'pending'"
            " FROM institution_payments p JOIN entitlements t ON t.id = p.entitlement_id"
            " JOIN (SELECT household_entitlement_id AS id, SUM(amount_fen) AS total"
            f"  FROM household_shares WHERE batch_id IN ({ids})"
            "  GROUP BY household_entitlement_id) s ON s.id = p.entitlement_id"
            " LEFT JOIN (SELECT batch_id, MAX(line_number) AS last FROM payment_instructions"
            f"  WHERE batch_id IN ({ids}) GROUP BY batch_id) m ON m.batch_id = p.batch_id"
            f" WHERE p.batch_id IN ({ids}) ORDER BY p.entitlement_id"
        ),
        params,
    )
    return int(result.rowcount or 0)


def hold_deceased_residents(
    connection: sa.Connection, batch_ids: Collection[int], period_start: Any, now: Any
) -> None:
    """Hold an institution's instruction of the new batches for every resident reported
    dead before the period (at batch run that is a dead resident's own line; on a
    re-issue, whoever died since): the payee's ID on the line is the institution's, so
    the screening of the payee does not see them."""
    if not batch_ids:
        return
    ids = ", ".join(str(int(b)) for b in sorted(batch_ids))
    connection.execute(
        sa.text(
            "INSERT INTO instruction_holds (instruction_id, batch_id, reason, list_name,"
            " evidence_ref, evidence_date, source, detail, created_at)"
            " SELECT i.id, i.batch_id, 'deceased', 'ref_deaths',"
            " 'import ' || d.import_id || ' row ' || d.row_no, d.death_date, d.source,"
            " 'institution resident ' || r.key || ' ' || COALESCE(d.name, ''), :now"
            " FROM payment_instructions i"
            f" JOIN institution_payments p ON p.entitlement_id = i.entitlement_id"
            " JOIN household_shares s ON s.household_entitlement_id = i.entitlement_id"
            " JOIN recipients r ON r.id = s.recipient_id"
            " JOIN ref_deaths d ON d.id = (SELECT MIN(x.id) FROM ref_deaths x"
            "  WHERE x.id_number = r.id_number AND x.death_date < :start)"
            f" WHERE i.batch_id IN ({ids}) ORDER BY i.id, s.entitlement_id"
        ).bindparams(sa.bindparam("now", type_=Timestamp), sa.bindparam("start", type_=sa.Date())),
        {"now": now, "start": period_start},
    )


RESIDENT_COLUMNS = (
    "line_number",
    "status",
    "institution",
    "line_fen",
    "account_number",
    "account_holder",
    "key",
    "name",
    "id_number",
    "township",
    "village",
    "share_fen",
)


def batch_residents(connection: sa.Connection, batch_id: int) -> list[tuple[Any, ...]]:
    """``RESIDENT_COLUMNS`` of each resident of each institution line of a batch, in
    line and resident key order (the resident's township and village: the roster's)."""
    return fetch_all(
        connection,
        "SELECT i.line_number, i.status, p.institution, i.amount_fen, i.account_number,"
        " i.account_holder, r.key, r.name, r.id_number, t.township, t.village, s.amount_fen"
        " FROM payment_instructions i"
        " JOIN institution_payments p ON p.entitlement_id = i.entitlement_id"
        " JOIN household_shares s ON s.household_entitlement_id = i.entitlement_id"
        " JOIN entitlements t ON t.id = s.entitlement_id"
        " JOIN recipients r ON r.id = s.recipient_id"
        " WHERE i.batch_id = ? ORDER BY i.line_number, r.key",
        (int(batch_id),),
    )
