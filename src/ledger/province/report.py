"""The province findings as files: Parquet and CSV (one row per finding) and an HTML
report (Chinese by default, English available) naming both counties, the amount at risk
and each county's evidence. ID numbers are masked (first 6 and last 4) unless unmasked;
card numbers never leave the extract (accounts appear as their keyed hash).
"""

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ledger.cells import neutralise_cell
from ledger.identity import mask
from ledger.money import format_yuan
from ledger.province.rules_catalogue import RULE_TITLES
from ledger.sheets import environment


def _evidence(text: str, unmask: bool) -> dict[str, Any]:
    """``{"listed": [...], "paid": [...]}`` whatever the rule's shape, IDs masked."""
    raw = json.loads(text)
    document = raw if isinstance(raw, dict) else {"listed": [], "paid": raw}
    if not unmask:
        for line in document["paid"]:
            line["id_number"] = mask(line.get("id_number"))
        for entry in document["listed"]:
            if "id_number" in entry:  # the list entry's own ID (P03-P05; null if hashed)
                entry["id_number"] = mask(entry["id_number"])
    return document


def prepare(findings: pd.DataFrame, *, unmask: bool = False) -> pd.DataFrame:
    """The findings as written: titles added, evidence with IDs masked unless ``unmask``."""
    out = findings.copy()
    out.insert(1, "title_zh", out["rule"].map(lambda r: RULE_TITLES[r][0]))
    out.insert(2, "title_en", out["rule"].map(lambda r: RULE_TITLES[r][1]))
    out["evidence"] = [
        json.dumps(_evidence(e, unmask), ensure_ascii=False, sort_keys=True)
        for e in out["evidence"]
    ]
    return out


def write_outputs(
    findings: pd.DataFrame,
    manifests: list[dict[str, Any]],
    out: Path,
    *,
    period: str,
    lang: str = "zh",
    unmask: bool = False,
) -> list[Path]:
    """Write findings.parquet, findings.csv and report.html under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    frame = prepare(findings, unmask=unmask)
    parquet = out / "findings.parquet"
    frame.to_parquet(parquet, index=False)
    csv_path = out / "findings.csv"
    text = frame.copy()
    text["amount_yuan"] = [format_yuan(int(v)) for v in text["amount_fen"]]
    for column in ("subject", "evidence", "counties"):
        text[column] = [neutralise_cell(str(v)) for v in text[column]]
    text.to_csv(csv_path, index=False, encoding="utf-8-sig")
    html = out / "report.html"
    html.write_text(render(frame, manifests, period=period, lang=lang, masked=not unmask), "utf-8")
    return [parquet, csv_path, html]


def render(
    frame: pd.DataFrame,
    manifests: list[dict[str, Any]],
    *,
    period: str,
    lang: str,
    masked: bool,
) -> str:
    zh = lang != "en"
    rules = []
    for rule, (title_zh, title_en) in RULE_TITLES.items():
        part = frame[frame["rule"] == rule]
        rules.append(
            {
                "rule": rule,
                "title": title_zh if zh else title_en,
                "count": len(part),
                "amount": format_yuan(int(part["amount_fen"].sum()), thousands=True),
            }
        )
    items = []
    for row in frame.to_dict("records"):
        evidence = json.loads(str(row["evidence"]))
        items.append(
            {
                "rule": row["rule"],
                "title": row["title_zh"] if zh else row["title_en"],
                "subject": str(row["subject"])[:12],
                "county_a": row["county_a"],
                "county_b": row["county_b"],
                "counties": row["counties"],
                "amount": format_yuan(int(row["amount_fen"]), thousands=True),
                "people": int(row["people"]),
                "listed": evidence["listed"],
                "paid": [
                    {**line, "amount": format_yuan(int(line["amount_fen"]), thousands=True)}
                    for line in evidence["paid"]
                ],
            }
        )
    counties = [
        {
            "county": m["county"],
            "policy": m["id_policy"],
            "transaction": m["chain_head"]["transaction_id"],
            "hash": m["chain_head"]["hash"],
            "rows": m["tables"]["instructions"]["rows"],
        }
        for m in manifests
    ]
    total = format_yuan(int(frame["amount_fen"].sum()), thousands=True)
    template = environment().get_template("province_report.html.j2")
    return template.render(
        lang=lang,
        period=period,
        counties=counties,
        rules=rules,
        findings=items,
        total=total,
        masked=masked,
    )
