"""The exception report (DESIGN §7): summary, charts, then every finding with evidence.

HTML from ``statements/exceptions.html.j2``: self-contained (inline CSS and SVG),
printable, Chinese by default. CSV and XLSX: one row per finding, every text cell
neutralised against formula injection. ID and card numbers are masked (first 6 + last 4).
"""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger import wording, wording_summaries
from ledger.batches import mask, parse_period, previous_period
from ledger.county import County
from ledger.db import finding_cases, findings_store
from ledger.db.checkpoint import head_document
from ledger.findings import CATEGORIES, CATEGORY_TITLES, RULES_BY_ID, Context, report_tables
from ledger.findings.fluctuation import changes, township_totals
from ledger.holds import period_screening
from ledger.money import format_yuan
from ledger.sheets import environment

TREND_PERIODS = 6
IDLE_FUNDS_RULE = "W04"
BUCKETS = ("risk", "idle", "review")
# The trend chart: the plot area inside a 380x124 SVG (left margin for the y scale).
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 96.0, 360.0, 14.0, 104.0
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


SUBJECT_TYPES = {
    "recipient": ("对象", "recipient"),
    "account": ("账户", "account"),
    "batch": ("批次", "batch"),
    "township": ("乡镇", "township"),
    "period": ("期间", "period"),
    "finding": ("线索", "finding"),
}


def bucket(rule: str, category: str) -> str:
    """Which headline a finding's amount counts in: money at risk, idle funds (W04), or
    amounts under review (a fluctuation is a swing to explain, not money lost)."""
    if rule == IDLE_FUNDS_RULE:
        return "idle"
    if category == "fluctuation":
        return "review"
    return "risk"


def _subject(county: County, finding: dict[str, Any], lang: str) -> str:
    subject = str(finding["subject_id"])
    kind = str(finding["subject_type"])
    if kind == "account":
        if subject.startswith("Assets:"):
            return wording.account_label(county, subject, lang)
        subject = mask(subject)
    elif kind == "township" and subject in county.townships:
        subject = county.townships[subject].name
    zh, en = SUBJECT_TYPES.get(kind, (kind, kind))
    return f"{zh if lang != 'en' else en} {subject}"


def _bars(items: list[tuple[str, int, str]], width: int = 420) -> list[Bar]:
    """Bars of the money at risk; a case that is not zero stays visible (at least 4 px)."""
    top = max([v for _, v, _ in items] + [1])
    return [
        Bar(label, value, text, max(round(width * value / top, 1), 4.0 if value else 0.0), 28 * i)
        for i, (label, value, text) in enumerate(items)
    ]


def _nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten (in fen of whole yuan) >= value."""
    value = max(value, 100)
    power = 100
    while True:
        for step in (1, 2, 5):
            if step * power >= value:
                return step * power
        power *= 10


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
    width = CHART_RIGHT - CHART_LEFT
    height = CHART_BOTTOM - CHART_TOP
    for township in sorted(set(totals["township"])):
        rows = totals[totals["township"] == township].set_index("period")
        amounts = [int(rows["amount_fen"].get(p, 0)) for p in periods]
        counts = [int(rows["recipients"].get(p, 0)) for p in periods]
        top = _nice_top(max([*amounts, 1]))
        step = width / max(len(periods) - 1, 1)
        start = CHART_LEFT if len(periods) > 1 else CHART_LEFT + width / 2
        points = [
            {
                "x": round(start + i * step, 1),
                "y": round(CHART_BOTTOM - height * a / top, 1),
                "period": p,
                "amount": format_yuan(a, thousands=True),
                "count": c,
                "flag": (township, p) in flagged,
            }
            for i, (p, a, c) in enumerate(zip(periods, amounts, counts, strict=True))
        ]
        ticks = [
            {
                "y": round(CHART_BOTTOM - height * f, 1),
                "label": format_yuan(top * n // 2, thousands=True),
            }
            for n, f in ((0, 0.0), (1, 0.5), (2, 1.0))
        ]
        out.append(
            {
                "code": township,
                "name": names.get(township, township),
                "points": points,
                "ticks": ticks,
                "polyline": " ".join(f"{pt['x']},{pt['y']}" for pt in points),
                "flagged": any(pt["flag"] for pt in points),
            }
        )
    return out


def _finding(county: County, r: dict[str, Any], names: dict[str, str], zh: bool) -> dict[str, Any]:
    lang = "zh" if zh else "en"
    rule = RULES_BY_ID.get(r["rule"])
    title = (rule.title_zh if zh else rule.title_en) if rule else r["rule"]
    evidence = json.loads(r["evidence"])
    return {
        "id": r["id"],
        "rule": r["rule"],
        "title": title,
        "category_code": r["category"],
        "bucket": bucket(r["rule"], r["category"]),
        "severity": SEVERITY_ZH[r["severity"]] if zh else r["severity"],
        "severity_code": r["severity"],
        "subject_type": r["subject_type"],
        "subject": _subject(county, r, lang),
        "recipient": r["recipient_key"] or "",
        "name": r["recipient_name"] or "",
        "id_number": mask(r["id_number"]) if r["id_number"] else "",
        "township": names.get(r["township"], r["township"] or ""),
        "program": wording.program_name(county, r["program"], lang),
        "amount_fen": int(r["amount_fen"]),
        "recovered_fen": int(r["recovered_fen"]),
        "amount": format_yuan(int(r["amount_fen"]), thousands=True),
        "recovered": format_yuan(int(r["recovered_fen"]), thousands=True),
        "status": STATUS_ZH[r["status"]] if zh else r["status"],
        "owner": r["owner"] or "",
        "due_date": r["due_date"] or "",
        "summary": wording_summaries.summary(county, r["rule"], r["summary"], lang, fallback=title),
        "evidence": wording.evidence_facts(county, evidence, lang),
        "ids": wording.evidence_ids(evidence, lang),
    }


def _cases(
    connection: sa.Connection, county: County, period: str, lang: str
) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """The cases of this period's findings found in more than one month up to it: one
    row per subject and rule with its months, total and status; and the case of every
    finding (finding id -> case id)."""
    zh = lang != "en"
    earlier = findings_store.list_findings(connection)
    cases = finding_cases.group_cases(r for r in earlier if r["period"] <= period)
    received = finding_cases.received_by_finding(connection)
    case_of = {f: case["case"] for case in cases for f in case["findings"]}
    out = []
    for case in cases:
        if period not in case["periods"] or len(case["periods"]) < 2:
            continue
        rule = RULES_BY_ID.get(case["rule"])
        out.append(
            {
                "case": case["case"],
                "rule": case["rule"],
                "title": (rule.title_zh if zh else rule.title_en) if rule else case["rule"],
                "subject": _subject(county, case, lang),
                "months": "、".join(case["periods"]) if zh else ", ".join(case["periods"]),
                "findings": "、".join(str(i) for i in case["findings"])
                if zh
                else ", ".join(str(i) for i in case["findings"]),
                "count": len(case["periods"]),
                "amount": format_yuan(case["amount_fen"], thousands=True),
                "settled": format_yuan(
                    sum(received.get(i, 0) for i in case["findings"]) + case["written_off_fen"],
                    thousands=True,
                ),
                "status": STATUS_ZH[case["status"]] if zh else case["status"],
            }
        )
    return sorted(out, key=lambda c: (-len(c["months"]), c["case"])), case_of


def report_context(
    connection: sa.Connection, county: County, period: str, *, lang: str, today: date
) -> dict[str, Any]:
    period = parse_period(period)
    zh = lang != "en"
    rows = findings_store.list_findings(connection, period=period)
    cases, case_of = _cases(connection, county, period, lang)
    overdue = finding_cases.overdue_findings(connection, today)
    names = {code: t.name for code, t in county.townships.items()}
    by_category: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        title_zh, title_en = CATEGORY_TITLES[category]
        by_category[category] = {
            "code": category,
            "title": title_zh if zh else title_en,
            "count": 0,
            "findings": [],
        } | {b: 0 for b in BUCKETS}
    by_township: dict[str, dict[str, Any]] = {}
    headline = dict.fromkeys(BUCKETS, 0)
    for r in rows:
        finding = _finding(county, r, names, zh) | {"case": case_of.get(int(r["id"]), r["id"])}
        amount = finding["amount_fen"]
        town = r["township"] or ""
        county_wide = "全县（不分乡镇）" if zh else "county-wide (no township)"
        entry = by_township.setdefault(
            town,
            {"code": town, "name": names.get(town, county_wide), "count": 0}
            | dict.fromkeys(BUCKETS, 0)
            | {c: 0 for c in CATEGORIES},
        )
        entry["count"] += 1
        entry[finding["bucket"]] += amount
        entry[r["category"]] += 1
        group = by_category[r["category"]]
        group["count"] += 1
        group[finding["bucket"]] += amount
        group["findings"].append(finding)
        headline[finding["bucket"]] += amount
    categories = list(by_category.values())

    def money(fen: int) -> str:
        return format_yuan(fen, thousands=True)

    return {
        "lang": lang,
        "county": county,
        "period": period,
        "today": today,
        "total_count": len(rows),
        "headline": {b: money(v) for b, v in headline.items()},
        "headline_fen": headline,
        "categories": [c | {f"{b}_text": money(c[b]) for b in BUCKETS} for c in categories],
        "category_bars": _bars(
            [(c["title"], c["risk"], f"{money(c['risk'])} ({c['count']})") for c in categories]
        ),
        "townships": [
            t | {f"{b}_text": money(t[b]) for b in BUCKETS}
            for t in sorted(by_township.values(), key=lambda t: (-t["risk"], t["code"]))
        ],
        "overdue": [
            {
                "id": r["id"],
                "rule": r["rule"],
                "period": r["period"],
                "owner": r["owner"],
                "due_date": r["due_date"],
                "days": (today - r["due_date"]).days,
                "amount": money(int(r["amount_fen"])),
                "subject": _subject(county, r, lang),
                "escalated": f"{r['escalated_at']:%Y-%m-%d}" if r["escalated_at"] else "",
            }
            for r in overdue
        ],
        "cases": cases,
        "trend": _trend(connection, county, period),
        "screening": period_screening(connection, period, lang),
        "threshold": county.thresholds["fluctuation_percent"],
        "category_names": {c: by_category[c]["title"] for c in CATEGORIES},
        # The chains' heads the report was drawn from (a witness auditors keep).
        "chain_head": head_document(connection),
    }


def render_html(
    connection: sa.Connection, county: County, period: str, *, lang: str = "zh", today: date
) -> str:
    context = report_context(connection, county, period, lang=lang, today=today)
    return environment().get_template("exceptions.html.j2").render(**context)


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
    context = report_context(connection, county, period, lang=lang, today=today)
    if output_format == "csv":
        return report_tables.write_csv(context, out)
    return report_tables.write_xlsx(context, out)
