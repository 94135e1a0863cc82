"""The SQL behind payment batches: set-based, so 10^6 instructions take seconds.

Entitlements and instructions are created with ``INSERT ... SELECT`` from the roster; no
row travels through Python on the way in. Nothing here commits or decides policy: the
services in ``ledger.payments`` do.
"""

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledger.approval import ONE_CHECKER, Rule
from ledger.batches import BatchKind, BatchState, InstructionStatus, period_start
from ledger.db.bulk import fetch_all
from ledger.db.schema import batches, payment_instructions
from ledger.errors import LedgerError
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


def _in_list(column: str, values: Collection[str], name: str) -> tuple[str, dict[str, Any]]:
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
    program_sql, program_params = _in_list("e.program", programs, "program")
    bank_sql, bank_params = _in_list("e.bank", banks, "bank")
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
    order = "e.program, e.bank, e.township, e.village, r.key"
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


def _in_list_int(column: str, values: Sequence[int], name: str) -> tuple[str, dict[str, Any]]:
    params = {f"{name}{i}": int(v) for i, v in enumerate(values)}
    return f" AND {column} IN ({', '.join(':' + k for k in params)})", params


def insert_staged(
    connection: sa.Connection, period: str, batch_ids: Sequence[int], e2e_prefix: str
) -> None:
    """Entitlements and their first instructions for the staged rows of the new batches.

    Entitlement ids are assigned here (the batch lock is held, so nobody else inserts
    entitlements meanwhile): previous maximum + the staged ordinal. The EndToEndId is
    computed from that id, so both tables are filled from the staged rows directly.
    """
    base = int(
        connection.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM entitlements")).scalar_one()
    )
    batch_sql, batch_params = _in_list_int("b.id", batch_ids, "batch")
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
    connection.execute(
        sa.text(
            "INSERT INTO payment_instructions (batch_id, entitlement_id, attempt, recipient_id,"
            " township, village, amount_fen, bank, account_number, account_holder, id_number,"
            " end_to_end_id, line_number, status)"
            " SELECT b.id, :base + s.ordinal, 1, s.recipient_id, s.township, s.village,"
            " s.amount_fen, s.bank, s.account_number, s.account_holder, s.id_number,"
            f" {e2e}, s.ordinal - g.before, 'pending'" + source
        ),
        params,
    )
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('entitlements', 'id'),"
            " (SELECT MAX(id) FROM entitlements))"
        )


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


# --- supplementary batches (re-issues) ---------------------------------------------

_CLOSED_UNCHANGED = (
    "EXISTS (SELECT 1 FROM instruction_outcomes x WHERE x.instruction_id = i.id"
    " AND x.outcome = 'failed' AND x.reason_code IN ('AC04', 'AC06'))"
    " AND COALESCE(e.bank, i.bank) = i.bank"
    " AND COALESCE(e.account_number, i.account_number) = i.account_number"
)
"""A failure on an account the bank reported closed (AC04) or frozen (AC06), whose
recipient has not changed that account since: re-issuing would fail again."""

_REISSUE_SOURCE = f"""
    FROM payment_instructions i
    JOIN batches ob ON ob.id = i.batch_id
    LEFT JOIN enrolments e ON e.recipient_id = i.recipient_id AND e.program = ob.program
         AND e.valid_to_import IS NULL
    WHERE ob.period = :period
      AND ((i.status = 'failed' AND NOT ({_CLOSED_UNCHANGED}))
           OR (i.status = 'held' AND :with_held = 1 AND ob.state NOT IN ('draft', 'voided')
               AND NOT EXISTS (SELECT 1 FROM payment_instructions n
                               WHERE n.reissue_of = i.id AND n.status <> 'voided')))
"""
"""What a supplementary batch pays: failed instructions of a period (not those of
``_CLOSED_UNCHANGED``) and, when asked, the held instructions of its approved batches,
with the recipient's current account (a corrected card number is used; without a
current enrolment, the old one). The new instructions are screened again. A held
instruction keeps its status (its batch's file, totals and reconciliation do not
change); its successor names it in ``reissue_of``, and while that successor is not
voided it is not taken again."""


def reissue_groups(
    connection: sa.Connection,
    period: str,
    programs: Collection[str],
    banks: Collection[str],
    *,
    with_held: bool = False,
) -> list[Group]:
    program_sql, program_params = _in_list("ob.program", programs, "program")
    bank_sql, bank_params = _in_list("COALESCE(e.bank, i.bank)", banks, "bank")
    rows = connection.execute(
        sa.text(
            "SELECT ob.program AS program, COALESCE(e.bank, i.bank) AS bank, COUNT(*) AS n,"
            " SUM(i.amount_fen) AS total"
            + _REISSUE_SOURCE
            + program_sql
            + bank_sql
            + " GROUP BY ob.program, COALESCE(e.bank, i.bank) ORDER BY 1, 2"
        ),
        {"period": period, "with_held": int(with_held), **program_params, **bank_params},
    )
    return [Group(r.program, r.bank, int(r.n), int(r.total)) for r in rows]


def closed_unchanged(
    connection: sa.Connection, period: str, programs: Collection[str], banks: Collection[str]
) -> list[sa.Row[Any]]:
    """The period's failed instructions that are not re-issued because their account
    was reported closed or frozen and is unchanged (id, recipient key, bank, reason)."""
    program_sql, program_params = _in_list("ob.program", programs, "program")
    bank_sql, bank_params = _in_list("COALESCE(e.bank, i.bank)", banks, "bank")
    return list(
        connection.execute(
            sa.text(
                "SELECT i.id, r.key, i.bank,"
                " (SELECT MAX(x.reason_code) FROM instruction_outcomes x"
                "  WHERE x.instruction_id = i.id AND x.outcome = 'failed') AS reason_code"
                " FROM payment_instructions i JOIN batches ob ON ob.id = i.batch_id"
                " JOIN recipients r ON r.id = i.recipient_id"
                " LEFT JOIN enrolments e ON e.recipient_id = i.recipient_id"
                " AND e.program = ob.program AND e.valid_to_import IS NULL"
                f" WHERE ob.period = :period AND i.status = 'failed' AND {_CLOSED_UNCHANGED}"
                + program_sql
                + bank_sql
                + " ORDER BY i.id"
            ),
            {"period": period, **program_params, **bank_params},
        )
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


def insert_reissued_instructions(
    connection: sa.Connection,
    period: str,
    batch_ids: Sequence[int],
    e2e_prefix: str,
    *,
    with_held: bool = False,
) -> None:
    """A new instruction (next attempt) for every instruction of ``_REISSUE_SOURCE``, in
    the new supplementary batch of its program and (current) bank; the failed ones
    become 'reissued' (the held ones stay held, see ``_REISSUE_SOURCE``)."""
    batch_sql, batch_params = _in_list_int("b.id", batch_ids, "batch")
    e2e = e2e_expression(connection, "s.entitlement_id", "s.attempt")
    connection.execute(
        sa.text(
            "INSERT INTO payment_instructions (batch_id, entitlement_id, attempt, recipient_id,"
            " township, village, amount_fen, bank, account_number, account_holder, id_number,"
            " end_to_end_id, line_number, status, reissue_of)"
            " SELECT s.batch_id, s.entitlement_id, s.attempt, s.recipient_id, s.township,"
            " s.village, s.amount_fen, s.bank, s.account_number, s.account_holder,"
            f" s.id_number, {e2e},"
            " ROW_NUMBER() OVER (PARTITION BY s.batch_id ORDER BY s.township, s.village,"
            " s.recipient_key), 'pending', s.failed_id"
            " FROM (SELECT b.id AS batch_id, i.entitlement_id,"
            "  (SELECT MAX(q.attempt) FROM payment_instructions q"
            "   WHERE q.entitlement_id = i.entitlement_id) + 1 AS attempt,"
            "  i.recipient_id, i.township, i.village, i.amount_fen,"
            "  COALESCE(e.bank, i.bank) AS bank,"
            "  COALESCE(e.account_number, i.account_number) AS account_number,"
            "  COALESCE(e.account_holder, i.account_holder) AS account_holder,"
            "  i.id_number, r.key AS recipient_key, i.id AS failed_id"
            + _REISSUE_SOURCE.replace(
                "WHERE ob.period",
                "JOIN recipients r ON r.id = i.recipient_id"
                " JOIN batches b ON b.period = :period AND b.program = ob.program"
                " AND b.bank = COALESCE(e.bank, i.bank)" + batch_sql + " WHERE ob.period",
                1,
            )
            + ") s"
        ),
        {"period": period, "prefix": e2e_prefix, "with_held": int(with_held), **batch_params},
    )
    new_batch_sql, new_params = _in_list_int("n.batch_id", batch_ids, "nbatch")
    connection.execute(
        sa.text(
            "UPDATE payment_instructions SET status = 'reissued'"
            " WHERE status = 'failed' AND id IN (SELECT n.reissue_of FROM payment_instructions n"
            " WHERE n.reissue_of IS NOT NULL" + new_batch_sql + ")"
        ),
        new_params,
    )


# --- reading ------------------------------------------------------------------------


def load_batch(connection: sa.Connection, batch_id: int, *, lock: bool = False) -> sa.Row[Any]:
    query = sa.select(batches).where(batches.c.id == batch_id)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise LedgerError(f"batch {batch_id} does not exist (see `ledger batch list`)")
    return row


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


_NOT_ACCRUED = (
    " AND NOT EXISTS (SELECT 1 FROM postings p JOIN payment_instructions q"
    " ON q.id = p.instruction_id JOIN transactions t ON t.id = p.transaction_id"
    " WHERE q.entitlement_id = i.entitlement_id AND t.type = 'accrual')"
)
"""Instructions whose entitlement was never accrued: in a supplementary batch, the
payments held in their regular batch and paid now (a re-issued failure's payable is
still open: it is not accrued twice)."""


def accrual_columns(
    connection: sa.Connection, batch_id: int, *, only_not_accrued: bool = False
) -> tuple[list[int], list[str], list[str], list[int]]:
    """Instruction ids, recipient keys, townships and amounts of a batch (held ones
    excepted: they are not accrued; with ``only_not_accrued``, only those of
    ``_NOT_ACCRUED``), in recipient key order (the order of their payable accounts: the
    postings then append to the postings' account index), as columns, without per-row
    objects."""
    rows = fetch_all(
        connection,
        "SELECT i.id, r.key, i.township, i.amount_fen FROM payment_instructions i"
        " JOIN recipients r ON r.id = i.recipient_id"
        " WHERE i.batch_id = ? AND i.status <> 'held'"
        + (_NOT_ACCRUED if only_not_accrued else "")
        + " ORDER BY r.key",
        (int(batch_id),),
    )
    if not rows:
        return [], [], [], []
    ids, keys, townships, amounts = (list(column) for column in zip(*rows, strict=True))
    return ids, keys, townships, [int(a) for a in amounts]


FILE_COLUMNS = (
    "line_number",
    "recipient_key",
    "account_holder",
    "id_number",
    "account_number",
    "amount_fen",
    "end_to_end_id",
    "bank",
)


def iter_file_rows(
    connection: sa.Connection, batch_id: int, chunk_size: int = 20_000
) -> Iterator[list[tuple[Any, ...]]]:
    """A batch's instructions in file order, ``FILE_COLUMNS`` per row, in chunks. Held
    instructions are not in the file; the others keep their line number as 序号 (a
    return file without EndToEndIds is matched by it), so 序号 may skip a held line."""
    cursor = connection.exec_driver_sql(
        "SELECT i.line_number, r.key, i.account_holder, i.id_number, i.account_number,"
        " i.amount_fen, i.end_to_end_id, i.bank FROM payment_instructions i"
        " JOIN recipients r ON r.id = i.recipient_id"
        f" WHERE i.batch_id = {int(batch_id)} AND i.status <> 'held' ORDER BY i.line_number"
    )
    while True:
        chunk = cursor.fetchmany(chunk_size)
        if not chunk:
            return
        yield [tuple(row) for row in chunk]


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


def list_batches(
    connection: sa.Connection, *, period: str | None = None, state: str | None = None
) -> list[sa.Row[Any]]:
    query = sa.select(batches).order_by(batches.c.id)
    if period is not None:
        query = query.where(batches.c.period == period)
    if state is not None:
        query = query.where(batches.c.state == state)
    return list(connection.execute(query))
