"""The funds report (资金支出进度 / 决算) per program × source: HTML or XLSX.

Chinese by default, English with ``lang="en"``. The progress report is the year of the
day as of that day (statements/funds_report.html.j2); the final accounts (决算) of a
closed year add what the year end carried over or returned (``ledger funds close-year``).
Amounts are int fen inside, yuan text in HTML and exact numeric cells in XLSX (the
exception report's helpers: ``ledger.findings.report_tables``).
"""

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger import wording
from ledger.cells import neutralise_cell
from ledger.county import County
from ledger.db.funds_positions import MEASURES, Positions, positions
from ledger.findings.report_tables import MAX_WIDTH, MONEY_FORMAT, display_width, yuan
from ledger.funds_policy import ADVANCE
from ledger.money import format_yuan

TITLES = {
    "opening": ("上年结余", "opening balance"),
    "carried_in": ("上年结转", "carried in"),
    "allocated": ("本年拨入", "allocated"),
    "sent": ("已拨付银行", "sent to banks"),
    "returned": ("银行退回", "returned by banks"),
    "recovered": ("追回", "recovered"),
    "in_bank": ("在途（银行未确认）", "in the bank (unconfirmed)"),
    "disbursed": ("已发放", "disbursed"),
    "available": ("可用余额", "available"),
    "carry_out": ("结转下年", "carried over"),
    "refund": ("上缴/收回", "returned to the tier above"),
}
FINAL = ("carry_out", "refund")


def source_name(county: County, source: str, lang: str) -> str:
    zh = lang != "en"
    if source == "total":
        return "合计" if zh else "total"
    if source == ADVANCE:
        return "无拨付来源（垫付等）" if zh else "no allocation (advance)"
    return county.sources.get(source, source) if zh else source


def percent(bp: int | None) -> str:
    return "" if bp is None else f"{bp // 100}.{bp % 100:02d}%"


def closing(connection: sa.Connection, year: int) -> dict[tuple[str, str], dict[str, int]]:
    """What the year end of ``year`` carried over and returned, per program × source."""
    rows = connection.execute(
        sa.text(
            "SELECT l.program, l.source, l.kind, SUM(l.amount_fen) FROM fund_lineage l"
            " JOIN transactions t ON t.id = l.transaction_id"
            " WHERE t.effective_date = :day AND l.kind IN ('carry_out', 'refund')"
            " GROUP BY l.program, l.source, l.kind"
        ).bindparams(sa.bindparam("day", type_=sa.Date)),
        {"day": date(year + 1, 1, 1)},
    )
    out: dict[tuple[str, str], dict[str, int]] = {}
    for program, source, kind, amount in rows:
        for key in ((program, source), (program, "total")):
            out.setdefault(key, dict.fromkeys(FINAL, 0))[kind] += int(amount)
    return out


def report_context(
    connection: sa.Connection,
    county: County,
    *,
    as_of: date,
    lang: str = "zh",
    final: bool = False,
) -> dict[str, Any]:
    """The report's rows (typed: int fen) and their labels in the language."""
    if final:
        as_of = date(as_of.year, 12, 31)
    found: Positions = positions(
        connection,
        as_of=as_of,
        required_pace_bp=county.funds.required_pace_bp,
        source_order=list(county.sources),
        program_order=list(county.programs),
    )
    closed = closing(connection, found.year) if final else {}
    measures = list(MEASURES) + (list(FINAL) if final else [])
    rows = []
    for position in found.rows:
        amounts = dict(position.amounts)
        if final:
            amounts.update(closed.get((position.program, position.source), dict.fromkeys(FINAL, 0)))
        rows.append(
            {
                "program": position.program,
                "program_name": wording.program_name(county, position.program, lang),
                "source": position.source,
                "source_name": source_name(county, position.source, lang),
                "total": position.source == "total",
                "amounts": amounts,
                "shown": {k: format_yuan(amounts[k], thousands=True) for k in measures},
                "progress": percent(position.progress_bp),
                "progress_bp": position.progress_bp,
                "behind": position.behind,
            }
        )
    zh = lang != "en"
    return {
        "lang": lang,
        "county": county.name,
        "year": found.year,
        "as_of": as_of,
        "final": final,
        "elapsed": percent(found.elapsed_bp),
        "required": percent(found.elapsed_bp * found.required_bp // 10000),
        "pace": percent(found.required_bp),
        "measures": [(k, TITLES[k][0 if zh else 1]) for k in measures],
        "rows": rows,
    }


def render_html(context: dict[str, Any]) -> str:
    from ledger.sheets import environment

    return environment().get_template("funds_report.html.j2").render(**context)


def write_xlsx(context: dict[str, Any], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    zh = context["lang"] != "en"
    header = ["项目" if zh else "program", "资金来源" if zh else "source"]
    header += [title for _, title in context["measures"]]
    header += ["支出进度" if zh else "progress", "进度滞后" if zh else "behind pace"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(context["year"])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [display_width(h) for h in header]
    flag = ("是", "") if zh else ("yes", "")
    for row in context["rows"]:
        values: list[Any] = [neutralise_cell(row["program_name"]), row["source_name"]]
        values += [yuan(row["amounts"][k]) for k, _ in context["measures"]]
        values += [row["progress"], flag[0] if row["behind"] else flag[1]]
        shown = [str(values[0]), str(values[1])]
        shown += [row["shown"][k] for k, _ in context["measures"]] + [row["progress"], ""]
        widths = [max(w, display_width(s) + 2) for w, s in zip(widths, shown, strict=True)]
        sheet.append(values)
        if row["total"]:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    for column, width in zip(sheet.columns, widths, strict=True):
        sheet.column_dimensions[column[0].column_letter].width = min(width, MAX_WIDTH)
        for cell in column[1:]:
            if 3 <= cell.column <= 2 + len(context["measures"]):
                cell.number_format = MONEY_FORMAT
    sheet.freeze_panes = "C2"
    book.save(out)


def write_report(
    connection: sa.Connection,
    county: County,
    out: Path,
    *,
    as_of: date,
    lang: str = "zh",
    final: bool = False,
) -> dict[str, Any]:
    """Write the report as HTML (.html) or XLSX (.xlsx), by the file's suffix."""
    context = report_context(connection, county, as_of=as_of, lang=lang, final=final)
    if out.suffix.lower() == ".xlsx":
        write_xlsx(context, out)
    else:
        out.write_text(render_html(context), encoding="utf-8")
    return context
