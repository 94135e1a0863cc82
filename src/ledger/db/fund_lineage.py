"""Fund lineage in SQL: draws at funding, give-backs, mirrors, a payment's sources.

See docs/ledger.md "Fund lineage". A funding draws its batch's total (a few rows per
batch, split by ``ledger.funds_policy``); everything per payment is derived in SQL by
matching running sums (instructions in id order against the draws in ``seq`` order),
so nothing here loops over payments in Python.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from ledger.county import County
from ledger.db.schema import allocations, fund_lineage
from ledger.errors import LedgerError
from ledger.funds_policy import ADVANCE, Draw, Remaining, split
from ledger.money import format_yuan

_FAR = date(9999, 12, 31)


def remaining(
    connection: sa.Connection, program: str, *, as_of: date | None = None
) -> list[Remaining]:
    """The program's allocations (dated up to ``as_of``) with money left, oldest first."""
    taken = (
        sa.select(fund_lineage.c.allocation_id, sa.func.sum(fund_lineage.c.amount_fen).label("t"))
        .group_by(fund_lineage.c.allocation_id)
        .subquery()
    )
    left = allocations.c.amount_fen - sa.func.coalesce(taken.c.t, 0)
    query = (
        sa.select(allocations.c.transaction_id, allocations.c.source, left)
        .outerjoin(taken, taken.c.allocation_id == allocations.c.transaction_id)
        .where(allocations.c.program == program, left > 0)
        .order_by(allocations.c.allocation_date, allocations.c.transaction_id)
    )
    if as_of is not None:
        query = query.where(allocations.c.allocation_date <= as_of)
    return [Remaining(int(a), str(s), int(n)) for a, s, n in connection.execute(query)]


def insert_rows(
    connection: sa.Connection,
    transaction_id: int,
    program: str,
    kind: str,
    draws: Sequence[Draw],
    *,
    sign: int = 1,
) -> None:
    """Record ``draws`` for a transaction (``sign`` -1: given back)."""
    if not draws:
        return
    connection.execute(
        fund_lineage.insert(),
        [
            {
                "transaction_id": transaction_id,
                "seq": seq,
                "allocation_id": d.allocation_id,
                "program": program,
                "source": d.source,
                "kind": kind,
                "amount_fen": sign * d.amount_fen,
            }
            for seq, d in enumerate(draws, start=1)
        ],
    )


def draw_for_funding(
    connection: sa.Connection,
    county: County,
    program: str,
    transaction_id: int,
    total_fen: int,
    day: date,
) -> list[Draw]:
    """The funding ``transaction_id`` of ``total_fen`` draws on the program's
    allocations by the county's policy; return the draws recorded."""
    draws = split(
        total_fen,
        remaining(connection, program, as_of=day),
        county.funds.lineage,
        list(county.sources),
    )
    insert_rows(connection, transaction_id, program, "draw", draws)
    return draws


# A funded instruction's share of each draw of its batch's funding: the overlap of its
# interval [hi - amount, hi) with the draw's, both laid end to end (running sums).
# {batches}: a condition on b (which batches), {where}: on the result.
_ATTRIBUTION = """
WITH fi AS (
    SELECT i.id AS instruction_id, i.batch_id, i.recipient_id,
           b.funding_transaction_id AS tx, i.amount_fen AS amount,
           CAST(SUM(i.amount_fen) OVER (PARTITION BY i.batch_id ORDER BY i.id) AS BIGINT) AS hi
    FROM batches b JOIN payment_instructions i ON i.batch_id = b.id
    JOIN transactions ft ON ft.id = b.funding_transaction_id
    WHERE i.status <> 'held' AND ft.effective_date <= :as_of AND ({batches})
),
dr AS (
    SELECT l.transaction_id AS tx, l.seq, l.allocation_id, l.program, l.source,
           l.amount_fen AS amount,
           CAST(SUM(l.amount_fen) OVER (PARTITION BY l.transaction_id ORDER BY l.seq) AS BIGINT)
               AS hi
    FROM fund_lineage l
    WHERE l.kind = 'draw' AND l.amount_fen > 0
      AND l.transaction_id IN (SELECT tx FROM fi)
)
SELECT fi.instruction_id, fi.batch_id, fi.recipient_id, dr.allocation_id, dr.program,
       dr.source, dr.seq,
       (CASE WHEN fi.hi < dr.hi THEN fi.hi ELSE dr.hi END)
       - (CASE WHEN fi.hi - fi.amount > dr.hi - dr.amount THEN fi.hi - fi.amount
               ELSE dr.hi - dr.amount END) AS amount_fen
FROM fi JOIN dr ON dr.tx = fi.tx AND dr.hi - dr.amount < fi.hi AND fi.hi - fi.amount < dr.hi
WHERE {where}
"""

ATTRIBUTION_COLUMNS = (
    "instruction_id",
    "batch_id",
    "recipient_id",
    "allocation_id",
    "program",
    "source",
    "seq",
    "amount_fen",
)


def attribution_sql(batches: str = "1 = 1", where: str = "1 = 1") -> str:
    """The attribution query: ``batches`` selects whole batches (a condition on ``b``;
    never on single instructions, which would change the running sums), ``where``
    selects result rows (on ``fi``: instruction_id, batch_id, recipient_id)."""
    return _ATTRIBUTION.format(batches=batches, where=where)


def _params(as_of: date | None, **more: Any) -> dict[str, Any]:
    return {"as_of": as_of or _FAR, **more}


def _text(sql: str) -> sa.TextClause:
    return sa.text(sql).bindparams(sa.bindparam("as_of", type_=sa.Date))


def payment_sources(
    connection: sa.Connection, instruction_id: int, *, as_of: date | None = None
) -> list[dict[str, Any]]:
    """Which allocations one payment drew on (funded on or before ``as_of``), each with
    its document, and whether the money came back (a bank return) by then."""
    # One payment: its end in the batch is one SUM over the instructions before it (no
    # running sum over the whole batch), matched against the funding's draws.
    sql = (
        "SELECT i.id AS instruction_id, i.batch_id, i.recipient_id, l.allocation_id,"
        " l.program, l.source, l.seq, l.amount_fen AS draw_fen, i.amount_fen AS amount,"
        " (SELECT SUM(j.amount_fen) FROM payment_instructions j WHERE j.batch_id = i.batch_id"
        "   AND j.status <> 'held' AND j.id <= i.id) AS hi"
        " FROM payment_instructions i JOIN batches b ON b.id = i.batch_id"
        " JOIN transactions ft ON ft.id = b.funding_transaction_id"
        " JOIN fund_lineage l ON l.transaction_id = b.funding_transaction_id"
        " WHERE i.id = :instruction AND i.status <> 'held' AND ft.effective_date <= :as_of"
        " AND l.kind = 'draw' AND l.amount_fen > 0 ORDER BY l.seq"
    )
    came_back = (
        "SELECT COALESCE(SUM(p.amount_fen), 0) FROM postings p"
        " JOIN accounts a ON a.id = p.account_id JOIN transactions t ON t.id = p.transaction_id"
        " WHERE p.instruction_id = :instruction AND a.name LIKE 'Assets:Treasury:%'"
        " AND p.amount_fen > 0 AND t.effective_date <= :as_of"
    )
    params = _params(as_of, instruction=instruction_id)
    returned = int(connection.execute(_text(came_back), params).scalar_one())
    rows = []
    start = 0
    for r in connection.execute(_text(sql), params):
        low, high = int(r.hi) - int(r.amount), int(r.hi)
        end = start + int(r.draw_fen)
        overlap = min(high, end) - max(low, start)
        start = end
        if overlap > 0:
            row = {k: getattr(r, k) for k in ATTRIBUTION_COLUMNS if k != "amount_fen"}
            rows.append(row | {"amount_fen": overlap})
    docs = {
        int(r.transaction_id): (r.doc_number, r.allocation_date)
        for r in connection.execute(
            sa.select(
                allocations.c.transaction_id,
                allocations.c.doc_number,
                allocations.c.allocation_date,
            ).where(allocations.c.transaction_id.in_([r["allocation_id"] for r in rows]))
        )
    }
    rows.sort(key=lambda r: int(r["seq"]))  # in the order the funding drew them
    for row in rows:
        row["amount_fen"] = int(row["amount_fen"])
        doc = docs.get(row["allocation_id"] or 0, (None, None))
        row["doc_number"], row["allocation_date"] = doc
        row["returned"] = returned > 0
    return rows


def give_back_returns(connection: sa.Connection, transaction_id: int) -> None:
    """The reconciliation ``transaction_id`` put money back into treasuries for the
    instructions its treasury debits name: give each one's attribution back to the
    allocations it drew on (one row per allocation, kind ``return``)."""
    returned = (
        "SELECT p.instruction_id FROM postings p JOIN accounts a ON a.id = p.account_id"
        " WHERE p.transaction_id = :tx AND a.name LIKE 'Assets:Treasury:%'"
        " AND p.amount_fen > 0 AND p.instruction_id IS NOT NULL"
    )
    sql = attribution_sql(
        f"b.id IN (SELECT i2.batch_id FROM payment_instructions i2 WHERE i2.id IN ({returned}))",
        f"fi.instruction_id IN ({returned})",
    )
    connection.execute(
        _text(
            "INSERT INTO fund_lineage"
            " (transaction_id, seq, allocation_id, program, source, kind, amount_fen)"
            " SELECT :tx, ROW_NUMBER() OVER (ORDER BY MIN(x.instruction_id), x.allocation_id),"
            " x.allocation_id, x.program, x.source, 'return', -SUM(x.amount_fen)"
            f" FROM ({sql}) x GROUP BY x.allocation_id, x.program, x.source"
        ),
        _params(None, tx=transaction_id),
    )


def mirror(connection: sa.Connection, original_id: int, reversal_id: int) -> None:
    """``reversal_id`` reverses ``original_id``: mirror its lineage (same allocations,
    opposite amounts); if the original recorded an allocation, withdraw all of it (the
    trigger refuses this once any of it has been drawn)."""
    fl = fund_lineage
    connection.execute(
        fl.insert().from_select(
            ["transaction_id", "seq", "allocation_id", "program", "source", "kind", "amount_fen"],
            sa.select(
                sa.literal(reversal_id, sa.BigInteger),
                fl.c.seq,
                fl.c.allocation_id,
                fl.c.program,
                fl.c.source,
                fl.c.kind,
                -fl.c.amount_fen,
            ).where(fl.c.transaction_id == original_id),
        )
    )
    allocation = connection.execute(
        sa.select(allocations).where(allocations.c.transaction_id == original_id)
    ).first()
    if allocation is None:
        return
    left = {r.allocation_id: r.amount_fen for r in remaining(connection, allocation.program)}
    if left.get(original_id, 0) != allocation.amount_fen:
        raise LedgerError(
            f"transaction {original_id}: {format_yuan(allocation.amount_fen, thousands=True)}"
            f" yuan allocated ({allocation.doc_number}), of which "
            f"{format_yuan(allocation.amount_fen - left.get(original_id, 0), thousands=True)}"
            " yuan has been drawn or carried over; an allocation can be reversed only while "
            "none of it is used (record a return to the tier above instead)"
        )
    last = connection.execute(
        sa.select(sa.func.coalesce(sa.func.max(fl.c.seq), 0)).where(
            fl.c.transaction_id == reversal_id
        )
    ).scalar_one()
    connection.execute(
        fl.insert().values(
            transaction_id=reversal_id,
            seq=int(last) + 1,
            allocation_id=original_id,
            program=allocation.program,
            source=allocation.source,
            kind="withdrawn",
            amount_fen=allocation.amount_fen,
        )
    )


def give_back_recovery(
    connection: sa.Connection,
    transaction_id: int,
    *,
    program: str,
    recipient_key: str,
    amount_fen: int,
) -> list[Draw]:
    """Recovered money (``transaction_id``) goes back to the sources of the recipient's
    payments in the program, newest payment first, after what earlier recoveries took;
    any rest to the newest allocations with money drawn, then ``unallocated``."""
    recipient = "(SELECT id FROM recipients WHERE key = :key)"
    sql = attribution_sql(
        "b.program = :program AND b.id IN"
        f" (SELECT batch_id FROM payment_instructions WHERE recipient_id = {recipient})",
        f"fi.recipient_id = {recipient} AND NOT EXISTS (SELECT 1 FROM postings p"
        " JOIN accounts a ON a.id = p.account_id"
        " WHERE p.instruction_id = fi.instruction_id AND a.name LIKE 'Assets:Treasury:%'"
        " AND p.amount_fen > 0)",
    )
    params = _params(None, program=program, key=recipient_key)
    rows = sorted(
        connection.execute(_text(sql), params),
        key=lambda r: (-int(r.instruction_id), -(r.allocation_id or 0)),
    )
    earlier = connection.execute(
        sa.text(
            "SELECT COALESCE(SUM(p.amount_fen), 0) FROM postings p"
            " JOIN accounts a ON a.id = p.account_id"
            " JOIN transactions t ON t.id = p.transaction_id"
            " WHERE t.type = 'recovery_received' AND t.id < :tx AND a.name = :treasury"
            " AND EXISTS (SELECT 1 FROM postings q JOIN accounts r ON r.id = q.account_id"
            "   WHERE q.transaction_id = t.id AND r.name = :receivable)"
        ),
        {
            "tx": transaction_id,
            "treasury": f"Assets:Treasury:{program}",
            "receivable": f"Assets:Receivable:Recovery:{recipient_key}",
        },
    ).scalar_one()
    skip, need = int(earlier), amount_fen
    back: dict[tuple[int | None, str], int] = {}
    for row in rows:
        amount = int(row.amount_fen)
        used = min(skip, amount)
        skip -= used
        take = min(need, amount - used)
        if take > 0:
            key = (row.allocation_id, row.source)
            back[key] = back.get(key, 0) + take
            need -= take
    if need > 0:
        taken = connection.execute(
            sa.select(
                allocations.c.transaction_id,
                allocations.c.source,
                sa.func.sum(fund_lineage.c.amount_fen),
            )
            .join(fund_lineage, fund_lineage.c.allocation_id == allocations.c.transaction_id)
            .where(allocations.c.program == program)
            .group_by(allocations.c.transaction_id, allocations.c.source)
            .order_by(allocations.c.transaction_id.desc())
        )
        for allocation_id, source, drawn in taken:
            free = int(drawn) - back.get((allocation_id, source), 0)
            take = min(need, free)
            if take > 0:
                back[(allocation_id, source)] = back.get((allocation_id, source), 0) + take
                need -= take
    draws = [Draw(a, s, n) for (a, s), n in back.items()]
    if need > 0:
        draws.append(Draw(None, ADVANCE, need))
    insert_rows(connection, transaction_id, program, "recovery", draws, sign=-1)
    return draws
