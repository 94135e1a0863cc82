"""The SQL of screening at ``batch run`` (``ledger.screening``): one ``INSERT ... SELECT``
per hold reason over the new batches' instructions, then one ``UPDATE`` that sets the
matched instructions ``held``. No instruction travels through Python, except the
distinct account holder names, which are checked against the bank profile's encoding.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from ledger.db import asset_matches as asset
from ledger.db.bulk import executemany, fetch_all
from ledger.db.schema.base import Timestamp
from ledger.screening_limits import DEFAULTS, Screening

_INSERT = (
    "INSERT INTO instruction_holds (instruction_id, batch_id, reason, list_name,"
    " evidence_ref, evidence_date, source, detail, created_at) "
)
_FROM = " FROM payment_instructions i JOIN batches b ON b.id = i.batch_id"
_LIVE = "('pending', 'settled', 'held', 'failed', 'reissued')"
"""Instruction statuses that pay, paid or may still pay (not voided, not cancelled)."""


def _period_live(i: str, b: str) -> str:
    """FROM and WHERE of the period's instructions (``i``, batch ``b``) that pay, paid or
    may still pay."""
    return (
        f" FROM payment_instructions {i} JOIN batches {b} ON {b}.id = {i}.batch_id"
        f" WHERE {b}.period = :period AND {b}.state <> 'voided' AND {i}.status IN {_LIVE}"
    )


def _batches(batch_ids: Sequence[int], alias: str = "i") -> tuple[str, dict[str, Any]]:
    params = {f"sb{n}": int(v) for n, v in enumerate(batch_ids)}
    return f"{alias}.batch_id IN ({', '.join(':' + k for k in params)})", params


def _run(connection: sa.Connection, sql: str, params: dict[str, Any]) -> None:
    """Run one hold rule: ``_INSERT`` + a SELECT of the evidence columns + ``base``; the
    holds' ``created_at`` (``:now``) is added to the select list here."""
    sql = sql.replace(_FROM, ", :now" + _FROM, 1)
    binds: list[sa.BindParameter[Any]] = [sa.bindparam("now", type_=Timestamp)]
    if ":period_start" in sql:
        binds.append(sa.bindparam("period_start", type_=sa.Date()))
    connection.execute(sa.text(sql).bindparams(*binds), params)


def screen(
    connection: sa.Connection,
    batch_ids: Sequence[int],
    *,
    period: str,
    period_start: date,
    now: datetime,
    excludes: Mapping[str, Sequence[str]],
    caps: Mapping[str, int],
    encodings: Mapping[str, str],
    limits: Screening = DEFAULTS,
) -> int:
    """Hold the new batches' instructions that match a reason; return how many were held.

    ``excludes``: program -> programs it may not be paid with (both directions);
    ``caps``: program -> monthly cap in fen (0: none); ``encodings``: bank -> the
    encoding of its file profile; ``limits``: the county's asset limits.
    """
    if not batch_ids:
        return 0
    where, params = _batches(batch_ids)
    params.update({"now": now, "period": period, "period_start": period_start})
    base = _FROM + " WHERE " + where
    dialect = connection.dialect.name
    _run(
        connection,
        _INSERT + "SELECT i.id, i.batch_id, 'deceased', 'ref_deaths',"
        " 'import ' || d.import_id || ' row ' || d.row_no, d.death_date, d.source,"
        " COALESCE(d.name, '')"
        + base.replace(
            " WHERE ",
            first_row("ref_deaths", "x.death_date < :period_start", "d", dialect) + " WHERE ",
            1,
        ),
        params,
    )
    # "+x.import_id": not an index term, so that SQLite looks the ID number up in its
    # index instead of walking every row of the latest import for each instruction
    # (19.7 s instead of 0.2 s for 10^5 payments against a 500-row staff list).
    latest = "(SELECT MAX(id) FROM refdata_imports WHERE kind = '{}')"
    _run(
        connection,
        _INSERT + "SELECT i.id, i.batch_id, 'public_employee', 'ref_staff',"
        " 'import ' || s.import_id || ' row ' || s.row_no, NULL, s.employer,"
        " TRIM(s.name || ' ' || COALESCE(s.category, ''))"
        + base.replace(
            " WHERE ",
            first_row("ref_staff", f"x.import_id = {latest.format('staff')}", "s", dialect)
            + " WHERE ",
            1,
        ),
        params,
    )
    _run(
        connection,
        _INSERT + "SELECT i.id, i.batch_id, 'cadre_relative', 'ref_cadre_relatives',"
        " 'import ' || c.import_id || ' row ' || c.row_no, NULL, COALESCE(c.employer, ''),"
        " c.cadre_name || ' ' || COALESCE(c.position, '') || ' ' || COALESCE(c.relation, '')"
        + base.replace(
            " WHERE ",
            first_row(
                "ref_cadre_relatives",
                f"x.import_id = {latest.format('cadres')}"
                " AND x.filed = :false AND NOT EXISTS (SELECT 1 FROM ref_cadre_relatives f"
                " WHERE f.import_id = x.import_id AND f.cadre_id_number = x.cadre_id_number"
                " AND f.relative_id_number = x.relative_id_number AND f.filed = :true)",
                "c",
                dialect,
                key="relative_id_number",
            )
            + " WHERE ",
            1,
        ),
        {**params, "false": False, "true": True},
    )
    for select in asset_selects(batch_ids, limits, connection.dialect.name).values():
        _run(connection, _INSERT + select, params)
    ids = ", ".join(str(int(b)) for b in batch_ids)
    screened = {
        str(p) for (p,) in fetch_all(connection, f"SELECT program FROM batches WHERE id IN ({ids})")
    }
    for program, others in sorted(excludes.items()):
        if not others or program not in screened:  # no new batch of that program
            continue
        names = {f"ex{n}": p for n, p in enumerate(sorted(others))}
        _run(
            connection,
            _INSERT + "SELECT i.id, i.batch_id, 'exclusive_program', 'payment_instructions',"
            " CAST(j.id AS VARCHAR(20)), NULL, 'county programs.excludes', bj.program"
            + base.replace(
                " WHERE ",
                " JOIN (SELECT q.recipient_id, MIN(q.id) AS first_id"
                " FROM payment_instructions q WHERE q.batch_id IN (SELECT bq.id FROM batches bq"
                " WHERE bq.period = :period AND bq.state <> 'voided'"
                f" AND bq.program IN ({', '.join(':' + k for k in names)}))"
                f" AND q.status IN {_LIVE}"
                " GROUP BY q.recipient_id) x ON x.recipient_id = i.recipient_id"
                " JOIN payment_instructions j ON j.id = x.first_id"
                " JOIN batches bj ON bj.id = j.batch_id WHERE ",
            )
            + " AND b.program = :program",
            {**params, **names, "program": program},
        )
    period_live = _period_live("j", "bj")
    _run(
        connection,
        _INSERT + "SELECT i.id, i.batch_id, 'duplicate_id', 'payment_instructions',"
        " i.id_number, NULL, NULL, CAST(dup.n AS VARCHAR(20))"
        + base.replace(
            " WHERE ",
            " JOIN (SELECT j.id_number, COUNT(DISTINCT j.township) AS n"
            + period_live
            # A care institution's line without a credit code has no ID (institutions).
            + " AND j.id_number <> ''"
            + " GROUP BY j.id_number HAVING COUNT(DISTINCT j.township) > 1) dup"
            " ON dup.id_number = i.id_number WHERE ",
        ),
        params,
    )
    _run(
        connection,
        _INSERT + "SELECT i.id, i.batch_id, 'shared_account', 'payment_instructions',"
        " i.account_number, NULL, NULL, CAST(sh.n AS VARCHAR(20))"
        + base.replace(
            " WHERE ",
            " JOIN (SELECT j.account_number, COUNT(DISTINCT e.household_id) AS n"
            + period_live.replace(
                " WHERE ",
                " JOIN entitlements t ON t.id = j.entitlement_id"
                " JOIN enrolments e ON e.id = t.enrolment_id WHERE ",
            )
            # An institution's account pays its residents by right (ledger.institutions).
            + " AND j.entitlement_id NOT IN (SELECT entitlement_id FROM institution_payments)"
            # Accounts paid more than once this period first (cheap, no joins): only
            # those are joined to their enrolments for the households.
            + " AND j.account_number IN (SELECT k.account_number"
            + _period_live("k", "bk")
            # Cash payees (现金发放) have no account: the empty number is nobody's card.
            + " AND k.account_number <> ''"
            + " GROUP BY k.account_number HAVING COUNT(*) > 1)"
            + " GROUP BY j.account_number HAVING COUNT(DISTINCT e.household_id) > 1) sh"
            " ON sh.account_number = i.account_number WHERE ",
        ),
        params,
    )
    _run(
        connection,
        _INSERT + "SELECT i.id, i.batch_id, 'account_closed', 'instruction_outcomes',"
        " j.end_to_end_id, NULL, o.reason_code, COALESCE(o.reason_text, o.reason_code)"
        + base.replace(
            " WHERE ",
            # The closed or frozen (recipient, account) pairs first: few, whatever the
            # size of the batch (a correlated lookup per instruction cost 10^5 probes).
            " JOIN (SELECT y.recipient_id, y.account_number, MAX(x.id) AS outcome_id"
            " FROM instruction_outcomes x JOIN payment_instructions y ON y.id = x.instruction_id"
            " WHERE x.outcome = 'failed' AND x.reason_code IN ('AC04', 'AC06')"
            " GROUP BY y.recipient_id, y.account_number) c"
            " ON c.recipient_id = i.recipient_id AND c.account_number = i.account_number"
            " JOIN instruction_outcomes o ON o.id = c.outcome_id"
            " JOIN payment_instructions j ON j.id = o.instruction_id WHERE ",
        ),
        params,
    )
    capped = {p: int(c) for p, c in caps.items() if c > 0}
    if capped:
        cap = "CASE b.program " + " ".join(f"WHEN :cp{n} THEN :cv{n}" for n in range(len(capped)))
        cap += " END"
        cap_params: dict[str, Any] = {}
        for n, (program, value) in enumerate(sorted(capped.items())):
            cap_params[f"cp{n}"] = program
            cap_params[f"cv{n}"] = value
        _run(
            connection,
            _INSERT + "SELECT i.id, i.batch_id, 'above_standard', 'county programs.monthly_cap',"
            f" CAST({cap} AS VARCHAR(20)), NULL, 'county.toml', CAST(i.amount_fen AS VARCHAR(20))"
            + base
            + f" AND i.amount_fen > {cap}"
            # A care institution's line is its residents' total: each resident's share
            # is compared with the cap instead (ledger.institutions.screen_residents).
            + " AND i.entitlement_id NOT IN (SELECT entitlement_id FROM institution_payments)",
            {**params, **cap_params},
        )
    _hold_unencodable(connection, batch_ids, encodings, now)
    held_where, held_params = _batches(batch_ids, "payment_instructions")
    hold_where, hold_params = _batches(batch_ids, "h")
    hold_params = {k.replace("sb", "hb"): v for k, v in hold_params.items()}
    hold_where = hold_where.replace(":sb", ":hb")
    result = connection.execute(
        sa.text(
            "UPDATE payment_instructions SET status = 'held' WHERE "
            + held_where
            + " AND status = 'pending' AND id IN (SELECT h.instruction_id"
            " FROM instruction_holds h WHERE " + hold_where + ")"
        ),
        {**held_params, **hold_params},
    )
    return int(result.rowcount or 0)


def _keep_order(dialect: str) -> str:
    """The join keyword that keeps the instructions the outer loop: SQLite's planner,
    without statistics, takes a batch's instructions for a handful of rows and would scan
    them all once per list row (its CROSS JOIN is not reordered); PostgreSQL has
    statistics and hashes."""
    return "CROSS JOIN" if dialect == "sqlite" else "JOIN"


def first_row(
    table: str, condition: str, alias: str, dialect: str, *, key: str = "id_number"
) -> str:
    """Join ``alias``: the first row (lowest id) of ``table`` matching ``condition`` (over
    ``x``) whose ``key`` is the instruction's ID number. A grouped derived table, not a
    correlated ``MIN(id)`` in the join condition, which is evaluated for every pair of
    instruction and list row (26.9 s against 4.1 s for 20,000 payments and 2,000 staff)."""
    return (
        f" {_keep_order(dialect)} (SELECT x.{key} AS id_number, MIN(x.id) AS first_id"
        f" FROM {table} x WHERE {condition} GROUP BY x.{key}) m"
        f" ON m.id_number = i.id_number JOIN {table} {alias} ON {alias}.id = m.first_id"
    )


def asset_selects(
    batch_ids: Sequence[int], limits: Screening, dialect: str = "postgresql"
) -> dict[str, str]:
    """The asset lists' hold rules (房子、车子、票子): reason -> the SELECT of its hold rows
    over the batches' instructions (``:sb0``... the batch ids; ``:now`` is added by
    ``_run``), the first matching row of the latest import as the evidence. Public for
    ``bench/bench_screening.py``, which times them."""
    where, _ = _batches(batch_ids)
    base = _FROM + " WHERE " + where

    def join(sql: str) -> str:
        return base.replace(" WHERE ", f" {sql} WHERE ", 1)

    def first(table: str, condition: str, alias: str) -> str:
        return first_row(table, condition, alias, dialect)

    ref = "'import ' || {0}.import_id || ' row ' || {0}.row_no"
    return {
        "vehicle": f"SELECT i.id, i.batch_id, 'vehicle', 'ref_vehicles', {ref.format('v')},"
        " v.registered_on, v.plate,"
        f" TRIM(COALESCE(v.vehicle_type, '') || ' ' || {asset.yuan_text('v.value_fen')})"
        + join(first("ref_vehicles", asset.vehicle_beyond("x", limits), "v")),
        "property": f"SELECT i.id, i.batch_id, 'property', 'ref_property', {ref.format('q')},"
        " q.registered_on, q.certificate_no,"
        f" CAST(p.n AS VARCHAR(10)) || ' / ' || {asset.area_text('p.area_dm2')} || ' m2'"
        + join(
            f"{_keep_order(dialect)} ({asset.property_beyond(limits)}) p"
            " ON p.id_number = i.id_number"
            " JOIN ref_property q ON q.id = p.first_id"
        ),
        "business": f"SELECT i.id, i.batch_id, 'business', 'ref_businesses', {ref.format('c')},"
        " c.established_on, c.credit_code,"
        " TRIM(c.company || ' ' || COALESCE(c.role, '') || ' '"
        f" || {asset.yuan_text('c.capital_fen')})"
        + join(first("ref_businesses", asset.business_beyond("x", limits), "c")),
        "provident_fund": "SELECT i.id, i.batch_id, 'provident_fund', 'ref_provident_fund',"
        f" {ref.format('f')}, NULL, f.employer,"
        f" TRIM({asset.yuan_text('f.monthly_deposit_fen')} || ' ' || COALESCE(f.paid_to, ''))"
        + join(first("ref_provident_fund", asset.provident_fund_beyond("x", limits), "f")),
    }


def _hold_unencodable(
    connection: sa.Connection,
    batch_ids: Sequence[int],
    encodings: Mapping[str, str],
    now: datetime,
) -> None:
    ids = ", ".join(str(int(b)) for b in batch_ids)
    names = fetch_all(
        connection,
        f"SELECT DISTINCT bank, account_holder FROM payment_instructions WHERE batch_id IN ({ids})",
    )
    by_bank: dict[str, list[str]] = {}
    for bank, holder in names:
        if bank in encodings:
            by_bank.setdefault(str(bank), []).append(str(holder))
    bad = [
        (encodings[bank].upper(), missing, bank, holder)
        for bank, holders in sorted(by_bank.items())
        for holder, missing in unencodable_names(holders, encodings[bank])
    ]
    if not bad:
        return
    if connection.dialect.name == "postgresql":
        moment: Any = now
    else:  # SQLAlchemy's SQLite DateTime storage format
        moment = now.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = [(encoding, missing, moment, bank, holder) for encoding, missing, bank, holder in bad]
    executemany(
        connection,
        "INSERT INTO instruction_holds (instruction_id, batch_id, reason, list_name,"
        " evidence_ref, evidence_date, source, detail, created_at)"
        " SELECT id, batch_id, 'name_unencodable', 'bank file profile', NULL, NULL, ?, ?, ?"
        f" FROM payment_instructions WHERE batch_id IN ({ids})"
        " AND bank = ? AND account_holder = ?",
        rows,
    )


def unencodable_names(names: Sequence[str], encoding: str) -> list[tuple[str, str]]:
    """(name, its characters that ``encoding`` cannot encode) for each such name. The
    distinct characters of all the names are tried first (a few thousand, whatever the
    batch's size): only names holding one that does not encode are looked at."""
    unencodable = {ch for ch in set("".join(names)) if _unencodable(ch, encoding)}
    if not unencodable:
        return []
    return [
        (name, _unencodable(name, encoding)) for name in names if not unencodable.isdisjoint(name)
    ]


def _unencodable(text: str, encoding: str) -> str:
    try:  # nearly every name encodes: one call, not one per character
        text.encode(encoding)
        return ""
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            out.append(ch)
    return "".join(dict.fromkeys(out))
