"""The SQL behind payment batches: set-based, so 10^6 instructions take seconds.

Entitlements and instructions are created with ``INSERT ... SELECT`` from the roster; no
row travels through Python on the way in. Nothing here commits or decides policy: the
services in ``ledger.payments`` do.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.approval import ONE_CHECKER, Rule
from ledger.batches import BatchKind, BatchState, InstructionStatus, period_start
from ledger.db.locked_rows import one_row
from ledger.db.schema import batches, payment_instructions
from ledger.operators import name_key, os_login

# Names the lock that serialises batch state changes among PostgreSQL advisory locks.
BATCH_LOCK_KEY = 0x42415443  # "BATC"


# SQLite page cache for bulk batch work, in KiB (negative: KiB, SQLite's convention).
# The default 2 MiB makes 10^6 inserts into the recipient and account indexes, which
# arrive in township order rather than key order, miss the cache at nearly every row.
SQLITE_BULK_CACHE_KIB = 256 * 1024


def lock_batches(connection: sa.Connection) -> None:
    """Serialise batch runs and state changes. SQLite's BEGIN IMMEDIATE already holds
    the write lock; PostgreSQL takes a transaction-scoped advisory lock, so that two
    ``batch run`` for the same period cannot both find "no batch yet".

    On SQLite this also enlarges the connection's page cache for the bulk work ahead.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(BATCH_LOCK_KEY)))
    else:
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")


@dataclass(frozen=True, slots=True)
class Group:
    """Eligible entitlements of one program and bank, not yet in any batch."""

    program: str
    bank: str
    count: int
    amount_fen_total: int


def in_list(column: str, values: Collection[str], name: str) -> tuple[str, dict[str, Any]]:
    if not values:
        return "", {}
    params = {f"{name}{i}": v for i, v in enumerate(sorted(values))}
    return f" AND {column} IN ({', '.join(':' + k for k in params)})", params


_ELIGIBLE = """
    FROM enrolments e
    JOIN recipients r ON r.id = e.recipient_id
    WHERE e.valid_to_import IS NULL
      AND e.status <> 'suspended'
      AND NOT (e.status = 'exited' AND e.exit_date IS NULL)
      AND e.start_month <= :period
      AND (e.end_month IS NULL OR e.end_month >= :period)
      AND (e.exit_date IS NULL OR e.exit_date >= :period_start)
      AND e.amount_fen > 0
      AND NOT EXISTS (
          SELECT 1 FROM entitlements x
          WHERE x.recipient_id = e.recipient_id AND x.program = e.program
            AND x.period = :period AND x.kind IN ('regular', 'backpay')
            AND x.status <> 'voided')
"""
"""Current enrolment versions entitled to a payment for :period and not yet entitled.

Entitled for a month: not suspended, started on or before it, not ended before it, and
not exited before it began (someone who exits during a month is paid for that month;
an 'exited' version without an exit date is never paid)."""


def _eligible_params(
    period: str, programs: Collection[str], banks: Collection[str]
) -> tuple[str, dict[str, Any], list[sa.BindParameter[Any]]]:
    program_sql, program_params = in_list("e.program", programs, "program")
    bank_sql, bank_params = in_list("e.bank", banks, "bank")
    params: dict[str, Any] = {
        "period": period,
        "period_start": period_start(period),
        **program_params,
        **bank_params,
    }
    binds = [sa.bindparam("period_start", type_=sa.Date)]
    return _ELIGIBLE + program_sql + bank_sql, params, binds


_RUN_TABLE = "ledger_run_rows"


def stage_eligible(
    connection: sa.Connection, period: str, programs: Collection[str], banks: Collection[str]
) -> None:
    """Select the period's eligible enrolments once, into a temporary table, numbered by
    ``ordinal`` in program, bank, township, village, recipient order. Entitlements and
    instructions are then inserted from it without running the eligibility query again.

    On SQLite the ordinal is the rowid, assigned as the sorted rows are inserted: a
    second of sorting instead of the several that window functions cost over 10^6 rows.
    """
    postgres = connection.dialect.name == "postgresql"
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {_RUN_TABLE}")
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {_RUN_TABLE} ("
        + ("ordinal BIGINT NOT NULL," if postgres else "ordinal INTEGER PRIMARY KEY,")
        + " recipient_id BIGINT, enrolment_id BIGINT, program VARCHAR(32), bank VARCHAR(32),"
        " amount_fen BIGINT, township VARCHAR(32), village VARCHAR(32),"
        " account_number VARCHAR(40), account_holder VARCHAR(64), id_number VARCHAR(18))"
        + (" ON COMMIT DROP" if postgres else "")
    )
    where, params, binds = _eligible_params(period, programs, banks)
    # 集中供养 residents last: their lines are their institutions', after the others.
    order = "e.program, e.bank, e.institution IS NOT NULL, e.township, e.village, r.key"
    columns = (
        " e.recipient_id, e.id, e.program, e.bank, e.amount_fen, e.township, e.village,"
        " e.account_number, e.account_holder, r.id_number"
    )
    if postgres:
        select = f"SELECT ROW_NUMBER() OVER (ORDER BY {order}),{columns}{where}"
    else:
        select = f"SELECT NULL,{columns}{where} ORDER BY {order}"
    connection.execute(
        sa.text(f"INSERT INTO {_RUN_TABLE} {select}").bindparams(*binds),
        params,
    )
    if postgres:
        # Temporary tables are never analysed automatically; without statistics the
        # planner takes 10^6 staged rows for a handful and joins them row by row.
        connection.exec_driver_sql(f"ANALYZE {_RUN_TABLE}")


def drop_staged(connection: sa.Connection) -> None:
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {_RUN_TABLE}")


def staged_groups(connection: sa.Connection) -> list[Group]:
    rows = connection.exec_driver_sql(
        f"SELECT program, bank, COUNT(*), SUM(amount_fen) FROM {_RUN_TABLE}"
        " GROUP BY program, bank ORDER BY program, bank"
    )
    return [Group(p, b, int(n), int(t)) for p, b, n, t in rows]


def live_regular_batches(connection: sa.Connection, period: str) -> dict[tuple[str, str], int]:
    rows = connection.execute(
        sa.select(batches.c.program, batches.c.bank, batches.c.id).where(
            batches.c.period == period,
            batches.c.kind == BatchKind.REGULAR,
            batches.c.state != BatchState.VOIDED,
        )
    )
    return {(r.program, r.bank): int(r.id) for r in rows}


def insert_batch(
    connection: sa.Connection,
    *,
    period: str,
    group: Group,
    kind: BatchKind,
    sequence: int,
    operator: str,
    now: datetime,
    rule: Rule = ONE_CHECKER,
) -> int:
    result = connection.execute(
        batches.insert()
        .values(
            period=period,
            program=group.program,
            bank=group.bank,
            kind=kind.value,
            sequence=sequence,
            state=BatchState.DRAFT.value,
            instruction_count=group.count,
            amount_fen_total=group.amount_fen_total,
            created_by=operator,
            created_by_key=name_key(operator),
            created_at=now,
            approvals_required=rule.checkers,
            approvals_other_department=rule.other_department,
            db_login=os_login(),
        )
        .returning(batches.c.id)
    )
    return int(result.scalar_one())


def e2e_expression(connection: sa.Connection, id_column: str, attempt: str) -> str:
    """SQL for ``ledger.batches.end_to_end_id``: :prefix + id (>= 10 digits) + attempt."""
    if connection.dialect.name == "postgresql":
        padded = (
            f"CASE WHEN {id_column} >= 10000000000 THEN {id_column}::text "
            f"ELSE lpad({id_column}::text, 10, '0') END"
        )
        return f"(:prefix || {padded} || lpad(({attempt})::text, 2, '0'))"
    return f"(:prefix || printf('%010d', {id_column}) || printf('%02d', {attempt}))"


def in_list_int(column: str, values: Sequence[int], name: str) -> tuple[str, dict[str, Any]]:
    params = {f"{name}{i}": int(v) for i, v in enumerate(values)}
    return f" AND {column} IN ({', '.join(':' + k for k in params)})", params


def insert_staged(
    connection: sa.Connection,
    period: str,
    batch_ids: Sequence[int],
    e2e_prefix: str,
    deducted: str | None = None,
    *,
    household_programs: Collection[str] = (),
) -> int:
    """Entitlements and their first instructions for the staged rows of the new batches
    (for ``household_programs`` the entitlements only: ``ledger.households`` writes one
    instruction per household); returns the base of their ids (a row's entitlement id is
    base + its ordinal). ``deducted``: a temporary table of (ordinal, amount_fen)
    deductions (``ledger.deductions``): those rows' instructions pay the amount less it.

    Entitlement ids are assigned here (the batch lock is held, so nobody else inserts
    entitlements meanwhile): previous maximum + the staged ordinal. The EndToEndId is
    computed from that id, so both tables are filled from the staged rows directly.
    """
    base = int(
        connection.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM entitlements")).scalar_one()
    )
    batch_sql, batch_params = in_list_int("b.id", batch_ids, "batch")
    # A program and bank's rows have consecutive ordinals: the line number within the
    # batch counts from the group's first.
    source = (
        f" FROM {_RUN_TABLE} s JOIN batches b ON b.period = :period"
        " AND b.program = s.program AND b.bank = s.bank" + batch_sql + " JOIN (SELECT program,"
        f" bank, MIN(ordinal) - 1 AS before FROM {_RUN_TABLE} GROUP BY program, bank) g"
        " ON g.program = s.program AND g.bank = s.bank ORDER BY s.ordinal"
    )
    params = {"period": period, "base": base, "prefix": e2e_prefix, **batch_params}
    connection.execute(
        sa.text(
            "INSERT INTO entitlements (id, recipient_id, enrolment_id, program, period, kind,"
            " amount_fen, township, village, batch_id, status)"
            " SELECT :base + s.ordinal, s.recipient_id, s.enrolment_id, s.program, :period,"
            " 'regular', s.amount_fen, s.township, s.village, b.id, 'open'" + source
        ),
        params,
    )
    e2e = e2e_expression(connection, "(:base + s.ordinal)", "1")
    skip_sql, skip_params = in_list("s.program", household_programs, "household")
    # 集中供养 residents' instructions are their institution's (ledger.institutions).
    skip_sql = (
        " WHERE s.enrolment_id NOT IN (SELECT id FROM enrolments WHERE institution IS NOT NULL)"
        + skip_sql.replace(" AND s.program IN", " AND s.program NOT IN", 1)
    )
    net = "s.amount_fen"
    if deducted:  # a primary-key lookup per row: the join order stays the planner's
        net = f"s.amount_fen - COALESCE((SELECT dd.amount_fen FROM {deducted} dd"
        net += " WHERE dd.ordinal = s.ordinal), 0)"
    connection.execute(
        sa.text(
            "INSERT INTO payment_instructions (batch_id, entitlement_id, attempt, recipient_id,"
            " township, village, amount_fen, bank, account_number, account_holder, id_number,"
            " end_to_end_id, line_number, status)"
            " SELECT b.id, :base + s.ordinal, 1, s.recipient_id, s.township, s.village,"
            f" {net}, s.bank, s.account_number, s.account_holder, s.id_number,"
            f" {e2e}, s.ordinal - g.before, 'pending'"
            + source.replace(" ORDER BY s.ordinal", skip_sql + " ORDER BY s.ordinal")
        ),
        {**params, **skip_params},
    )
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('entitlements', 'id'),"
            " (SELECT MAX(id) FROM entitlements))"
        )
    return base


def refresh_totals(connection: sa.Connection, batch_ids: Sequence[int]) -> None:
    """Set each new batch's count and total from its instructions."""
    for batch_id in batch_ids:
        count, total = connection.execute(
            sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(payment_instructions.c.amount_fen), 0)
            ).where(payment_instructions.c.batch_id == batch_id)
        ).one()
        connection.execute(
            batches.update()
            .where(batches.c.id == batch_id)
            .values(instruction_count=int(count), amount_fen_total=int(total))
        )


def next_sequence(
    connection: sa.Connection, period: str, program: str, bank: str, kind: BatchKind
) -> int:
    """0 for the first regular batch (1, 2... after voided ones); 1, 2... for the
    supplementary batches of a period."""
    current = connection.execute(
        sa.select(sa.func.max(batches.c.sequence)).where(
            batches.c.period == period,
            batches.c.program == program,
            batches.c.bank == bank,
            batches.c.kind == kind,
        )
    ).scalar()
    if current is None:
        return 0 if kind == BatchKind.REGULAR else 1
    return int(current) + 1


# --- reading ------------------------------------------------------------------------


def load_batch(connection: sa.Connection, batch_id: int, *, lock: bool = False) -> sa.Row[Any]:
    query = sa.select(batches).where(batches.c.id == batch_id)
    return one_row(
        connection, query, f"batch {batch_id} does not exist (see `ledger batch list`)", lock=lock
    )


def township_totals(connection: sa.Connection, batch_id: int) -> list[tuple[str, int, int]]:
    """(township, count, amount_fen_total) of a batch's instructions, by township."""
    pi = payment_instructions
    rows = connection.execute(
        sa.select(pi.c.township, sa.func.count(), sa.func.sum(pi.c.amount_fen))
        .where(pi.c.batch_id == batch_id)
        .group_by(pi.c.township)
        .order_by(pi.c.township)
    )
    return [(str(t), int(n), int(s)) for t, n, s in rows]


def payable_totals(connection: sa.Connection, batch_id: int) -> tuple[int, int]:
    """(count, amount_fen_total) of a batch's instructions that are not held: what is
    accrued, written to the bank file and funded."""
    pi = payment_instructions
    count, total = connection.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(pi.c.amount_fen), 0)).where(
            pi.c.batch_id == batch_id, pi.c.status != InstructionStatus.HELD
        )
    ).one()
    return int(count), int(total)


def set_state(connection: sa.Connection, batch_id: int, **values: Any) -> None:
    connection.execute(batches.update().where(batches.c.id == batch_id).values(**values))


def void_instructions(connection: sa.Connection, batch_id: int) -> None:
    """A voided batch's instructions never reach a bank; its entitlements are released
    (the period can be run again) and the failed instructions it re-issued go back to
    'failed' (they can be re-issued again)."""
    pi = payment_instructions
    reissued = sa.select(pi.c.reissue_of).where(
        pi.c.batch_id == batch_id, pi.c.reissue_of.is_not(None)
    )
    connection.execute(
        pi.update()
        .where(pi.c.id.in_(reissued), pi.c.status == InstructionStatus.REISSUED)
        .values(status=InstructionStatus.FAILED.value)
    )
    connection.execute(
        pi.update().where(pi.c.batch_id == batch_id).values(status=InstructionStatus.VOIDED.value)
    )
    connection.execute(
        sa.text(
            "UPDATE entitlements SET status = 'voided' WHERE batch_id = :batch AND status = 'open'"
        ),
        {"batch": batch_id},
    )


def find_by_sha256(connection: sa.Connection, sha256: str) -> sa.Row[Any] | None:
    return connection.execute(sa.select(batches).where(batches.c.file_sha256 == sha256)).first()


def find_by_file_name(connection: sa.Connection, name: str) -> sa.Row[Any] | None:
    return connection.execute(sa.select(batches).where(batches.c.file_name == name)).first()
