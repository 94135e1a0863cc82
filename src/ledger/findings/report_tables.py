"""The exception report as a table: one row per finding, CSV or XLSX.

CSV is for machines: amounts are plain decimals of yuan (``146684.00``, no separators),
dates ISO, UTF-8 with BOM so that Excel and WPS open it. XLSX is for people: amounts are
numbers (the exact yuan value, a ``Decimal`` of fen / 100, never a float computed from
money) shown with a ``¥#,##0.00`` number format so that SUM works; ids that must stay
text (recipient keys, masked ID numbers) are text cells; the header is frozen, filters
are on and columns are as wide as their contents. Every text cell is neutralised against
formula injection.
"""

import csv
import io
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.cells import neutralise_cell
from ledger.money import format_yuan

MONEY_FORMAT = '"¥"#,##0.00'
MAX_WIDTH = 60

BUCKET_TITLES = {
    "risk": ("风险金额", "money at risk"),
    "idle": ("闲置资金", "idle funds"),
    "review": ("待核查金额", "under review"),
}

# key, Chinese header, English header, kind (text, int, money)
COLUMNS = [
    ("id", "编号", "id", "int"),
    ("rule", "规则", "rule", "text"),
    ("title", "问题类型", "title", "text"),
    ("category", "类别", "category", "text"),
    ("severity", "风险等级", "severity", "text"),
    ("period", "期间", "period", "text"),
    ("subject", "对象", "subject", "text"),
    ("recipient", "对象编号", "recipient", "text"),
    ("name", "姓名", "name", "text"),
    ("id_number", "身份证号", "ID number", "text"),
    ("township", "乡镇", "township", "text"),
    ("program", "项目", "program", "text"),
    ("amount_fen", "涉及金额(元)", "amount (yuan)", "money"),
    ("bucket", "金额性质", "amount counts as", "text"),
    ("recovered_fen", "已追缴(元)", "recovered (yuan)", "money"),
    ("status", "状态", "status", "text"),
    ("owner", "责任人", "owner", "text"),
    ("due_date", "整改期限", "due date", "text"),
    # The case: the first finding of this subject and rule over the months (docs/findings.md).
    ("case", "案件编号", "case", "int"),
    ("summary", "说明", "summary", "text"),
    ("evidence", "证据", "evidence", "text"),
    ("ids", "关联编号", "linked ids", "text"),
]


def records(context: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The header in the report's language and one row of typed values per finding:
    ints for ids, int fen for money, text for everything else."""
    zh = context["lang"] != "en"
    header = [h_zh if zh else h_en for _, h_zh, h_en, _ in COLUMNS]
    rows = []
    for category in context["categories"]:
        for f in category["findings"]:
            values = {
                **f,
                "category": category["title"],
                "period": context["period"],
                "bucket": BUCKET_TITLES[f["bucket"]][0 if zh else 1],
                "due_date": str(f["due_date"] or ""),
                "evidence": "; ".join(f["evidence"]),
            }
            rows.append([values[key] for key, _, _, _ in COLUMNS])
    return header, rows


def write_csv(context: dict[str, Any], out: Path) -> int:
    header, rows = records(context)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        cells = []
        for (_, _, _, kind), value in zip(COLUMNS, row, strict=True):
            if kind == "money":
                cells.append(format_yuan(int(value)))
            elif kind == "int":
                cells.append(str(value))
            else:
                cells.append(neutralise_cell(str(value)))
        writer.writerow(cells)
    out.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return len(rows)


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def yuan(fen: int) -> Decimal:
    """The exact yuan value of an amount in fen, for a numeric cell."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amounts are int fen, got {type(fen).__name__}")
    return Decimal(fen).scaleb(-2)


def write_xlsx(context: dict[str, Any], out: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    header, rows = records(context)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = context["period"]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [display_width(h) for h in header]
    for row in rows:
        values: list[Any] = []
        for i, ((_, _, _, kind), value) in enumerate(zip(COLUMNS, row, strict=True)):
            if kind == "money":
                values.append(yuan(int(value)))
                shown = format_yuan(int(value), thousands=True)
            elif kind == "int":
                values.append(int(value))
                shown = str(value)
            else:
                values.append(neutralise_cell(str(value)))
                shown = str(value)
            widths[i] = max(widths[i], display_width(shown) + (2 if kind == "money" else 0))
        sheet.append(values)
    for i, (_, _, _, kind) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = min(widths[i - 1] + 2, MAX_WIDTH)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            if kind == "money":
                cell.number_format = MONEY_FORMAT
            elif kind == "text":
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    book.save(out)
    return len(rows)
