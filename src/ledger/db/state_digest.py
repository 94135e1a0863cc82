"""Digests of the workflow tables' current rows: what each chained audit event states.

A *scope* is a set of rows a state change can touch: one batch (the batch, its
instructions, entitlements, approvals, holds, releases and household shares), one
reference-list import, or a whole small register (the roster, findings, operators,
periods). An event records, for each scope it touched, each table's row count and the
digests of its rows in primary key order, cut into at most ``CHUNKS`` chunks of ``k``
rows: a scope of up to 256 rows names a changed row exactly, a larger one the chunk
(``k`` rows) it lies in.

A row's canonical text is built by the database: every column of ``TABLES`` in the order
given, as text (booleans 0/1, dates YYYY-MM-DD, timestamps in UTC to the microsecond),
length-prefixed, NULL as ``-``, joined by the unit separator. PostgreSQL hashes the
chunks itself; SQLite returns the lines and Python hashes them; both hash the same
bytes. The column lists are fixed here, not read from the models: a column added later
is covered once it is added here and a migration records the scope anew (0021 did so
for the roster's ``household_head`` and ``institution``); a migration's events digest
the columns its revision has (``only``: the tables and their columns).

Migrations import this module (0017 builds the genesis events), so it depends on
nothing else of the package.
"""

import hashlib
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

CHUNKS = 256
HASH_CHARS = 32  # 128 bits of SHA-256 per chunk


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[str, ...]  # "name" or "name:kind" (b boolean, d date, t timestamp)
    key: tuple[str, ...] = ("id",)  # primary key, the rows' order


def _spec(name: str, columns: str, key: tuple[str, ...] = ("id",)) -> TableSpec:
    return TableSpec(name, tuple(columns.split()), key)


TABLES = {
    t.name: t
    for t in (
        _spec(
            "batches",
            "id period program bank kind sequence state instruction_count amount_fen_total"
            " created_by created_at:t created_by_key approvals_required"
            " approvals_other_department:b db_login approved_by approved_at:t"
            " accrual_transaction_id exported_by exported_at:t funding_transaction_id profile"
            " file_name file_sha256 pay_date:d voided_by voided_at:t void_reason"
            " void_transaction_id",
        ),
        _spec(
            "payment_instructions",
            "id batch_id entitlement_id attempt recipient_id township village amount_fen bank"
            " account_number account_holder id_number end_to_end_id line_number status"
            " reissue_of reason_code reason_text settled_at:t failed_at:t cancelled_at:t",
        ),
        _spec(
            "entitlements",
            "id recipient_id enrolment_id program period kind amount_fen township village"
            " batch_id status",
        ),
        _spec(
            "batch_approvals",
            "id batch_id operator operator_key department approved_at:t db_login",
        ),
        _spec(
            "instruction_holds",
            "id instruction_id batch_id reason list_name evidence_ref evidence_date:d source"
            " detail created_at:t",
        ),
        _spec("hold_releases", "id instruction_id batch_id reason released_by released_at:t"),
        _spec(
            "household_shares",
            "entitlement_id household_entitlement_id batch_id recipient_id amount_fen household_id",
            ("entitlement_id",),
        ),
        _spec("institution_payments", "entitlement_id batch_id institution", ("entitlement_id",)),
        _spec(
            "roster_imports", "id file_name file_sha256 row_count operator imported_at:t db_login"
        ),
        _spec("recipients", "id key id_number name sex birth_date:d created_at:t"),
        _spec(
            "enrolments",
            "id recipient_id program township village household_id household_size amount_fen"
            " bank account_number account_holder start_month end_month exit_date:d status"
            " valid_from_import valid_to_import household_head:b institution",
        ),
        _spec(
            "refdata_imports",
            "id kind file_name file_sha256 row_count operator imported_at:t db_login",
        ),
        _spec("ref_deaths", "id import_id row_no id_number name death_date:d source"),
        _spec("ref_staff", "id import_id row_no id_number name employer category"),
        _spec("ref_staff_accounts", "id import_id id_number account_number"),
        _spec(
            "ref_cadre_relatives",
            "id import_id row_no cadre_id_number cadre_name employer position"
            " relative_id_number relative_name relation filed:b",
        ),
        _spec(
            "ref_vehicles",
            "id import_id row_no id_number name plate vehicle_type value_fen registered_on:d"
            " status active:b",
        ),
        _spec(
            "ref_property",
            "id import_id row_no id_number name certificate_no location usage area_dm2"
            " registered_on:d status active:b",
        ),
        _spec(
            "ref_businesses",
            "id import_id row_no id_number name credit_code company role entity_type"
            " capital_fen established_on:d status active:b",
        ),
        _spec(
            "ref_provident_fund",
            "id import_id row_no id_number name employer monthly_deposit_fen paid_to"
            " status active:b",
        ),
        _spec(
            "findings",
            "id fingerprint rule category severity subject_type subject_id period township"
            " program recipient_id amount_fen recovered_fen evidence summary status owner"
            " due_date:d first_detected_at:t last_detected_at:t closed_at:t",
        ),
        _spec(
            "finding_events",
            "id finding_id occurred_at:t operator action note transaction_id db_login",
        ),
        _spec(
            "operators",
            "id name name_key full_name department legacy:b created_by created_at:t"
            " disabled_by disabled_at:t db_login",
        ),
        _spec(
            "operator_roles", "operator_id role granted_by granted_at:t", ("operator_id", "role")
        ),
        _spec("periods", "period status closed_at:t closed_by", ("period",)),
        _spec("category_imports", "id file_name file_sha256 row_count operator imported_at:t"),
        _spec("recipient_categories", "id import_id recipient_id program category"),
        _spec(
            "deduction_plans",
            "id recipient_id program amount_fen per_month_fen reason created_by created_at:t",
        ),
        _spec("deductions", "id plan_id batch_id entitlement_id amount_fen"),
    )
}

# Scope family -> (table, column selecting the scope's rows; None: the whole table).
SCOPES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "batch": (
        ("batches", "id"),
        ("payment_instructions", "batch_id"),
        ("entitlements", "batch_id"),
        ("batch_approvals", "batch_id"),
        ("instruction_holds", "batch_id"),
        ("hold_releases", "batch_id"),
        ("household_shares", "batch_id"),  # migration 0019 (ledger.households)
        ("institution_payments", "batch_id"),  # migration 0020 (ledger.institutions)
        ("deductions", "batch_id"),
    ),
    "refdata": (
        ("refdata_imports", "id"),
        ("ref_deaths", "import_id"),
        ("ref_staff", "import_id"),
        ("ref_staff_accounts", "import_id"),
        ("ref_cadre_relatives", "import_id"),
        ("ref_vehicles", "import_id"),
        ("ref_property", "import_id"),
        ("ref_businesses", "import_id"),
        ("ref_provident_fund", "import_id"),
    ),
    "roster": (("roster_imports", None), ("recipients", None), ("enrolments", None)),
    "findings": (("findings", None), ("finding_events", None)),
    "operators": (("operators", None), ("operator_roles", None)),
    "periods": (("periods", None),),
    "categories": (("category_imports", None), ("recipient_categories", None)),
    "deductions": (("deduction_plans", None),),
}
# Keyed families: where their keys are listed.
SCOPE_KEYS = {"batch": "SELECT id FROM batches", "refdata": "SELECT id FROM refdata_imports"}


def scope_name(family: str, key: int | None = None) -> str:
    return family if key is None else f"{family}:{key}"


def parse_scope(name: str) -> tuple[str, int | None]:
    family, _, key = name.partition(":")
    return family, (int(key) if key else None)


def _text(column: str) -> str:
    """A column as PostgreSQL text in the canonical form."""
    name, _, kind = column.partition(":")
    c = f'"{name}"'
    if kind == "b":
        return f"CASE WHEN {c} THEN 1 WHEN NOT {c} THEN 0 END"
    if kind == "d":
        return f"to_char({c}, 'YYYY-MM-DD')"
    if kind == "t":
        return f"to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    return c


def _line(dialect: str, spec: TableSpec) -> str:
    """A row's canonical text: a JSON array of its columns (one C function per row;
    strings quoted and escaped, NULL as null, so no two rows share a text)."""
    if dialect == "postgresql":
        return f"CAST(json_build_array({', '.join(_text(c) for c in spec.columns)}) AS TEXT)"
    return f"json_array({', '.join(chr(34) + c.split(':')[0] + chr(34) for c in spec.columns)})"


def _key_text(spec: TableSpec) -> str:
    return " || ':' || ".join(f'CAST("{k}" AS TEXT)' for k in spec.key)


def table_digest(
    connection: sa.Connection,
    table: str,
    where: str | None,
    key: int | None,
    k: int | None = None,
    columns: Collection[str] | None = None,
) -> dict[str, Any]:
    """{"n": rows, "k": rows per chunk, "chunks": [[first row's key, digest], ...]} of
    the rows of ``table`` (those whose ``where`` column equals ``key``, or all). ``k``
    None: chosen from the row count (at most ``CHUNKS`` chunks). ``columns``: the
    columns the table has (a migration's revision; default: every column of TABLES)."""
    spec = TABLES[table]
    if columns is not None:
        kept = tuple(c for c in spec.columns if c.split(":")[0] in columns)
        spec = TableSpec(spec.name, kept, spec.key)
    dialect = connection.dialect.name
    condition = "" if where is None else f' WHERE "{where}" = {int(key or 0)}'
    if k is None:
        n = int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}{condition}").scalar_one())
        k = max(1, math.ceil(n / CHUNKS))
    order = ", ".join(f'"{c}"' for c in spec.key)
    if dialect == "postgresql":
        sql = (
            f"SELECT (rn - 1) / {k} AS grp, COUNT(*), (array_agg(pk ORDER BY rn))[1],"
            " encode(sha256(convert_to(string_agg(line, E'\\n' ORDER BY rn), 'UTF8')), 'hex')"
            f" FROM (SELECT {_key_text(spec)} AS pk, {_line(dialect, spec)} AS line,"
            f" row_number() OVER (ORDER BY {order}) AS rn FROM {table}{condition}) s"
            " GROUP BY grp ORDER BY grp"
        )
        rows = connection.exec_driver_sql(sql).all()
        chunks = [[str(first), str(digest)[:HASH_CHARS]] for _, _, first, digest in rows]
        count = sum(int(r[1]) for r in rows)
    else:
        sql = (
            f"SELECT {_key_text(spec)}, {_line(dialect, spec)} FROM {table}"
            f"{condition} ORDER BY {order}"
        )
        # The driver's cursor: 10^7 rows through SQLAlchemy's Row objects cost more
        # than the hashing.
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            chunks, count = _python_chunks(cursor, k)
        finally:
            cursor.close()
    return {"n": count, "k": k, "chunks": chunks}


def _python_chunks(cursor: Any, k: int) -> tuple[list[list[str]], int]:
    chunks: list[list[str]] = []
    count = 0
    size = k * max(1, 5_000 // k)  # a multiple of k: chunks never straddle two fetches
    while True:
        rows = cursor.fetchmany(size)
        if not rows:
            break
        count += len(rows)
        for start in range(0, len(rows), k):
            part = rows[start : start + k]
            chunks.append([str(part[0][0]), _hash("\n".join(line for _, line in part))])
    return chunks, count


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


def scope_digest(
    connection: sa.Connection,
    name: str,
    sizes: dict[str, int] | None = None,
    *,
    only: Mapping[str, Collection[str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """{table: table_digest} of one scope. ``sizes``: the chunk size per table to use
    (verify recomputes with the sizes an event recorded). ``only``: the tables to
    digest and their columns (a migration's events: what its revision has)."""
    family, key = parse_scope(name)
    return {
        table: table_digest(
            connection,
            table,
            where,
            key,
            (sizes or {}).get(table),
            None if only is None else only[table],
        )
        for table, where in SCOPES[family]
        if only is None or table in only
    }


def present_columns(connection: sa.Connection) -> dict[str, set[str]]:
    """Every table of the database and its columns (what a migration's revision has)."""
    inspector = sa.inspect(connection)
    return {
        table: {c["name"] for c in inspector.get_columns(table)}
        for table in inspector.get_table_names()
    }


def related_batches(connection: sa.Connection, batch_id: int) -> list[int]:
    """The batches whose instructions ``batch_id`` re-issues: creating or voiding a
    supplementary batch moves their statuses too (reissued <-> failed)."""
    rows = connection.exec_driver_sql(
        "SELECT DISTINCT o.batch_id FROM payment_instructions n"
        " JOIN payment_instructions o ON o.id = n.reissue_of"
        f" WHERE n.reissue_of IS NOT NULL AND n.batch_id = {int(batch_id)}"
    )
    return sorted(int(r[0]) for r in rows if int(r[0]) != batch_id)


def current_scopes(connection: sa.Connection, only: Collection[str] | None = None) -> list[str]:
    """Every scope the current tables hold rows of (``only``: of these tables; a
    migration's genesis runs before later migrations' tables exist)."""
    names = []
    for family, query in SCOPE_KEYS.items():
        names += [scope_name(family, int(r[0])) for r in connection.exec_driver_sql(query)]
    for family, tables in SCOPES.items():
        if family in SCOPE_KEYS:
            continue
        if any(
            connection.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first() is not None
            for table, _ in tables
            if only is None or table in only
        ):
            names.append(family)
    return names


def first_difference(recorded: dict[str, Any], now: dict[str, Any]) -> str | None:
    """The first row (or chunk of rows) where ``now`` differs from ``recorded`` (one
    table's digests), as words; None when they agree."""
    if recorded == now:
        return None
    k = int(recorded["k"])
    for before, after in zip(recorded["chunks"], now["chunks"], strict=False):
        if before != after:
            first = before[0] if before[0] == after[0] else min(before[0], after[0], key=_order)
            if k == 1:
                return f"row {first} differs"
            return f"a row among the {k} from {first} differs"
    if recorded["n"] != now["n"]:
        return f"has {now['n']} rows, the event recorded {recorded['n']}"
    return "differs"  # pragma: no cover - equal counts and chunks cannot differ


def _order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (0, key)
