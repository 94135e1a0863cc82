"""分类施保 category supplements (issue 18, docs/supplements.md).

The civil-affairs office keeps a list of who is in which category (重度残疾, 高龄,
未成年, 重病...) per program: ``ledger registry categories FILE`` imports it whole
(the newest list is the current one). County.toml ``[[supplements]]`` says what each
category adds (``ledger.kinds_rules``). At ``batch run`` each supplement a staged
enrolment qualifies for becomes its own entitlement (kind ``supplement``, its code in
``entitlements.supplement``) and its own instruction after the batch's lines, so it is
itemised on the approval sheet and the statement and accrued, paid and reconciled
like any other line.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger.batches import end_to_end_prefix
from ledger.columns import ROW, Column
from ledger.county import County
from ledger.db import supplements_store
from ledger.db.events import record_event
from ledger.db.uow import UnitOfWork
from ledger.files_util import sha256_of
from ledger.money import format_yuan

COLUMNS = (
    Column("id_number", "身份证号", also=("公民身份号码", "身份证号码")),
    Column("program", "救助项目"),
    Column("category", "类别", also=("分类施保类别",)),
)


def import_categories(
    uow: UnitOfWork,
    county: County,
    path: str | Path,
    *,
    operator: str,
    encoding: str | None = None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Import a categories list (CSV/XLSX, ``COLUMNS``): every row names a registered
    recipient (by ID number), a program (code or Chinese name) and a category some
    supplement of the county names for that program. Any problem refuses the file,
    naming its row and column. Returns (import id, rows)."""
    from ledger.tabular import Problems, open_table

    path = Path(path)
    table = open_table(path, COLUMNS, encoding=encoding)
    problems = Problems(str(path))
    programs: dict[str, str] = {p.code: p.code for p in county.programs.values()}
    programs |= {p.name_zh: p.code for p in county.programs.values()}
    known: dict[str, set[str]] = {}
    for supplement in county.supplements:
        for code in supplement.programs:
            known.setdefault(code, set()).add(supplement.category)
    every = sorted({s.category for s in county.supplements})
    rows: list[tuple[str, str, str]] = []
    row_numbers: list[int] = []
    for chunk in table.chunks():
        for row_no, id_number, program_text, category in zip(
            chunk[ROW],
            chunk["id_number"],
            chunk["program"],
            chunk["category"],
            strict=True,
        ):
            row = int(row_no)
            program: str | None = programs.get(program_text.strip())
            id_text = id_number.strip().upper()
            if not id_text:
                problems.add(row, table.labels["id_number"], "required value is missing")
            if program is None:
                problems.add(row, table.labels["program"], f"unknown program {program_text!r}")
            elif category.strip() not in known.get(program, set()):
                problems.add(
                    row,
                    table.labels["category"],
                    f"unknown category {category!r} for {program} (county.toml "
                    f"[[supplements]] name: {', '.join(every) or 'none'})",
                )
            rows.append((id_text, program or "", category.strip()))
            row_numbers.append(row)
    problems.raise_if_errors("the categories list")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    connection = uow.connection
    import_id, unknown = supplements_store.insert_import(
        connection,
        file_name=path.name,
        sha256=sha256_of(path),
        rows=rows,
        operator=operator,
        now=moment,
    )
    if unknown:
        missing = set(unknown)
        for (id_text, _, _), row in zip(rows, row_numbers, strict=True):
            if id_text in missing:
                problems.add(row, table.labels["id_number"], "no recipient has this ID number")
        problems.raise_if_errors("the categories list")
    record_event(
        connection,
        operator=operator,
        action="categories.imported",
        subject_type="category_import",
        subject_id=import_id,
        detail={"file": path.name, "rows": len(rows)},
        scopes=["categories"],
    )
    uow.commit()
    return import_id, len(rows)


def add_to_run(
    connection: sa.Connection, county: County, period: str, batch_ids: Sequence[int]
) -> int:
    """The supplements of the run's new regular batches (their rows still staged)."""
    if not county.supplements:
        return 0
    return supplements_store.insert_supplements(
        connection, period, batch_ids, end_to_end_prefix(county.code, period), county.supplements
    )


def sheet_rows(
    connection: sa.Connection, county: County, batch_id: int, lang: str
) -> list[dict[str, Any]]:
    """One row per supplement code of a batch: name, rule, count, amount, held."""
    by_code = {s.code: s for s in county.supplements}
    out = []
    for r in supplements_store.supplements_of_batch(connection, batch_id):
        rule = by_code.get(r.code)
        name = r.code if rule is None else (rule.name_zh if lang == "zh" else rule.name_en)
        basis = ""
        if rule is not None:
            basis = (
                format_yuan(rule.fixed_fen)
                if rule.fixed_fen is not None
                else f"{(rule.percent_bp or 0) / 100:g}%"
            )
        out.append(
            {
                "code": r.code,
                "name": name,
                "basis": basis,
                "count": int(r.n),
                "amount": format_yuan(int(r.fen), thousands=True),
                "held": int(r.held),
            }
        )
    return out
