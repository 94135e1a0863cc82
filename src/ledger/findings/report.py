"""The exception report (DESIGN §7): summary, charts, then every finding with evidence.

HTML from ``statements/exceptions.html.j2``: self-contained (inline CSS and SVG),
printable, Chinese by default. CSV and XLSX: one row per finding, every text cell
neutralised against formula injection. ID and card numbers are masked (first 6 + last 4).
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger.batches import mask, parse_period, previous_period
from ledger.cells import neutralise_cell
from ledger.county import County
from ledger.db import findings_store
from ledger.findings import CATEGORIES, CATEGORY_TITLES, RULES_BY_ID, Context
from ledger.findings.fluctuation import changes, township_totals
from ledger.money import format_yuan
from ledger.sheets import environment

TREND_PERIODS = 6
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
STATUS_ZH = {
    "open": "待处理",
    "assigned": "整改中",
    "rectified": "已整改",
    "verified": "已销号",
    "dismissed": "已排除",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str
    width: float
    y: int


def _subject(finding: dict[str, Any]) -> str:
    subject = str(finding["subject_id"])
    if finding["subject_type"] == "account" and not subject.startswith("Assets:"):
        return mask(subject)
    return subject


def _evidence_text(evidence: dict[str, Any]) -> list[str]:
    out = []
    for key, value in evidence.items():
        if value is None or value == [] or value == {}:
            continue
        if key in ("account_number", "id_number"):
            value = mask(str(value))
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False, default=str)
        out.append(f"{key}: {value}")
    return out


def _bars(items: list[tuple[str, int, str]], width: int = 420) -> list[Bar]:
    top = max([v for _, v, _ in items] + [1])
    return [
        Bar(label, value, text, round(width * value / top, 1), 28 * i)
        for i, (label, value, text) in enumerate(items)
    ]


def _periods_back(period: str, count: int) -> list[str]:
    periods = [period]
    while len(periods) < count:
        periods.insert(0, previous_period(periods[0]))
    return periods


def _trend(connection: sa.Connection, county: County, period: str) -> list[dict[str, Any]]:
    """Per township: recipients and amounts over the last periods, swings flagged, as SVG
    polyline points (amount) scaled to a 260x80 box."""
    periods = _periods_back(period, TREND_PERIODS)
    ctx = Context(connection, county, period, date.today())
    totals = township_totals(ctx, periods)
    # Start at the first period with payments: months before the ledger began are not 0.
    present = set(totals["period"])
    while len(periods) > 1 and periods[0] not in present:
        periods.pop(0)
    flagged: set[tuple[str, str]] = set()
    for p in periods[1:]:
        swings = changes(ctx, totals, p)
        for row in swings.itertuples():
            if row.count_swing or row.amount_swing:
                flagged.add((str(row.township), p))
    names = {code: t.name for code, t in county.townships.items()}
    out = []
    for township in sorted(set(totals["township"])):
        rows = totals[totals["township"] == township].set_index("period")
        amounts = [int(rows["amount_fen"].get(p, 0)) for p in periods]
        counts = [int(rows["recipients"].get(p, 0)) for p in periods]
        top = max([*amounts, 1])
        step = 260 / max(len(periods) - 1, 1)
        points = [
            {
                "x": round(10 + i * step, 1),
                "y": round(90 - 80 * a / top, 1),
                "period": p,
                "amount": format_yuan(a, thousands=True),
                "count": c,
                "flag": (township, p) in flagged,
            }
            for i, (p, a, c) in enumerate(zip(periods, amounts, counts, strict=True))
        ]
        out.append(
            {
                "code": township,
                "name": names.get(township, township),
                "points": points,
                "polyline": " ".join(f"{pt['x']},{pt['y']}" for pt in points),
                "flagged": any(pt["flag"] for pt in points),
            }
        )
    return out


def report_context(
    connection: sa.Connection, county: County, period: str, *, lang: str, today: date
) -> dict[str, Any]:
    period = parse_period(period)
    zh = lang != "en"
    rows = findings_store.list_findings(connection, period=period)
    everything_open = findings_store.list_findings(connection, statuses=["assigned"])
    overdue = findings_store.overdue(everything_open, today)
    names = {code: t.name for code, t in county.townships.items()}
    by_category: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        members = [r for r in rows if r["category"] == category]
        title_zh, title_en = CATEGORY_TITLES[category]
        by_category[category] = {
            "code": category,
            "title": title_zh if zh else title_en,
            "count": len(members),
            "amount_fen": sum(int(r["amount_fen"]) for r in members),
            "findings": [],
        }
    by_township: dict[str, dict[str, Any]] = {}
    for r in rows:
        town = r["township"] or ""
        county_wide = "全县（不分乡镇）" if zh else "county-wide (no township)"
        entry = by_township.setdefault(
            town,
            {"code": town, "name": names.get(town, county_wide), "count": 0, "amount_fen": 0}
            | {c: 0 for c in CATEGORIES},
        )
        entry["count"] += 1
        entry["amount_fen"] += int(r["amount_fen"])
        entry[r["category"]] += 1
        rule = RULES_BY_ID.get(r["rule"])
        by_category[r["category"]]["findings"].append(
            {
                "id": r["id"],
                "rule": r["rule"],
                "title": (rule.title_zh if zh else rule.title_en) if rule else r["rule"],
                "severity": SEVERITY_ZH[r["severity"]] if zh else r["severity"],
                "severity_code": r["severity"],
                "subject_type": r["subject_type"],
                "subject": _subject(r),
                "recipient": r["recipient_key"] or "",
                "name": r["recipient_name"] or "",
                "id_number": mask(r["id_number"]) if r["id_number"] else "",
                "township": names.get(r["township"], r["township"] or ""),
                "program": r["program"] or "",
                "amount": format_yuan(int(r["amount_fen"]), thousands=True),
                "recovered": format_yuan(int(r["recovered_fen"]), thousands=True),
                "status": STATUS_ZH[r["status"]] if zh else r["status"],
                "owner": r["owner"] or "",
                "due_date": r["due_date"] or "",
                "summary": r["summary"],
                "evidence": _evidence_text(json.loads(r["evidence"])),
            }
        )
    total = sum(int(r["amount_fen"]) for r in rows)
    categories = list(by_category.values())
    return {
        "lang": lang,
        "county": county,
        "period": period,
        "today": today,
        "total_count": len(rows),
        "total_amount": format_yuan(total, thousands=True),
        "categories": [
            c | {"amount": format_yuan(c["amount_fen"], thousands=True)} for c in categories
        ],
        "category_bars": _bars(
            [
                (
                    c["title"],
                    c["amount_fen"],
                    f"{format_yuan(c['amount_fen'], thousands=True)} ({c['count']})",
                )
                for c in categories
            ]
        ),
        "townships": [
            t | {"amount": format_yuan(t["amount_fen"], thousands=True)}
            for t in sorted(by_township.values(), key=lambda t: -t["amount_fen"])
        ],
        "overdue": [
            {
                "id": r["id"],
                "rule": r["rule"],
                "period": r["period"],
                "owner": r["owner"],
                "due_date": r["due_date"],
                "days": (today - r["due_date"]).days,
                "amount": format_yuan(int(r["amount_fen"]), thousands=True),
                "subject": _subject(r),
            }
            for r in overdue
        ],
        "trend": _trend(connection, county, period),
        "threshold": county.thresholds["fluctuation_percent"],
        "category_names": {c: by_category[c]["title"] for c in CATEGORIES},
    }


def render_html(
    connection: sa.Connection, county: County, period: str, *, lang: str = "zh", today: date
) -> str:
    context = report_context(connection, county, period, lang=lang, today=today)
    return environment().get_template("exceptions.html.j2").render(**context)


TABLE_COLUMNS = [
    ("id", "编号", "id"),
    ("rule", "规则", "rule"),
    ("title", "问题类型", "title"),
    ("category", "类别", "category"),
    ("severity", "风险等级", "severity"),
    ("period", "期间", "period"),
    ("subject", "对象", "subject"),
    ("recipient", "对象编号", "recipient"),
    ("name", "姓名", "name"),
    ("id_number", "身份证号", "ID number"),
    ("township", "乡镇", "township"),
    ("program", "项目", "program"),
    ("amount", "涉及金额(元)", "amount at risk (yuan)"),
    ("recovered", "已追缴(元)", "recovered (yuan)"),
    ("status", "状态", "status"),
    ("owner", "责任人", "owner"),
    ("due_date", "整改期限", "due date"),
    ("summary", "说明", "summary"),
    ("evidence", "证据", "evidence"),
]


def table_rows(
    connection: sa.Connection, county: County, period: str, *, lang: str, today: date
) -> tuple[list[str], list[list[str]]]:
    """One row per finding, every cell neutralised; the header in the report language."""
    context = report_context(connection, county, period, lang=lang, today=today)
    header = [zh if lang != "en" else en for _, zh, en in TABLE_COLUMNS]
    out = []
    for category in context["categories"]:
        for f in category["findings"]:
            values = {
                **f,
                "category": category["title"],
                "period": context["period"],
                "evidence": "; ".join(f["evidence"]),
            }
            out.append([neutralise_cell(values[key]) for key, _, _ in TABLE_COLUMNS])
    return header, out


def write_report(
    connection: sa.Connection,
    county: County,
    period: str,
    out: Path,
    *,
    lang: str = "zh",
    output_format: str = "html",
    today: date | None = None,
) -> int:
    """Write the report; return the number of findings in it."""
    today = today or date.today()
    out.parent.mkdir(parents=True, exist_ok=True)
    if output_format == "html":
        text = render_html(connection, county, period, lang=lang, today=today)
        out.write_text(text, encoding="utf-8")
        return text.count('class="finding ')
    header, rows = table_rows(connection, county, period, lang=lang, today=today)
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        # UTF-8 with BOM: Excel and WPS open it as UTF-8.
        out.write_text(buffer.getvalue(), encoding="utf-8-sig")
        return len(rows)
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = period
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(out)
    return len(rows)
