"""Documents for recipients and the public: the yearly statement (对账单) and the
public-disclosure list (公示).

Pure shaping and rendering (``statements/recipient_statement.html.j2``,
``statements/disclosure.html.j2``); the rows come from ``ledger.db.audit_reads`` and
``ledger.db.audit_reads.disclosure_rows``. The disclosure list never carries an ID or account
number: its rows are built from name, household size, program and amount only, and the
name is masked as the county configures (``[disclosure] name_mask``): the given name
(张三 -> 张*, 欧阳娜娜 -> 欧阳**) or the middle (张三明 -> 张*明). The list prints its
公示 period (start, end), the complaint hotline (监督电话) and a total row.
"""

import csv
import io
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from ledger.cells import neutralise_cell
from ledger.county import County
from ledger.db.audit_reads import RawHistory
from ledger.history import build_history, local_date, utc
from ledger.money import format_yuan
from ledger.sheets import environment

# Two-character surnames (复姓) that keep both characters when the given name is masked.
_COMPOUND = (
    "欧阳司马上官诸葛东方皇甫尉迟公孙慕容长孙宇文司徒夏侯轩辕令狐澹台"
    "钟离闻人赫连南宫西门独孤端木申屠太史万俟呼延濮阳公羊单于司空百里"
    "东郭拓跋纳兰第五公冶宗政淳于仲孙太叔公良乐正壤驷漆雕谷梁左丘亓官"
    "司寇巫马梁丘颛孙鲜于闾丘子车微生羊舌夹谷段干东门南门"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND[i : i + 2] for i in range(0, len(_COMPOUND), 2))

STATUS_TEXT = {
    "settled": ("已到账", "paid"),
    "failed": ("发放失败", "failed"),
    "pending": ("处理中", "pending"),
    "reissued": ("失败，已补发", "failed, re-issued"),
    "cancelled": ("已取消", "cancelled"),
    "voided": ("已作废", "voided"),
}


# How an entitlement that is not the regular monthly allowance is marked on a statement.
KIND_LABEL = {"backpay": ("（补发）", " (back pay)")}


def _paid_to(county: County, instruction: dict[str, Any], zh: bool) -> str:
    """The (masked) card an instruction paid to; 现金 for a cash payment (no card)."""
    account = str(instruction.get("account_number") or "")
    if not account and instruction.get("bank") in county.cash_banks:
        return "现金" if zh else "cash"
    return account


def mask_given_name(name: str) -> str:
    """The surname stays, every character of the given name becomes ``*``.

    A name with a middle dot (少数民族姓名, e.g. 阿依古丽·买买提) keeps its first
    character and its dots. Works on code points, so 𠮷 counts as one character.
    """
    name = name.strip()
    if len(name) <= 1:
        return name
    if "·" in name:
        return name[0] + "".join("·" if ch == "·" else "*" for ch in name[1:])
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_middle(name: str) -> str:
    """The first and the last character stay, those between become ``*`` (张三明 ->
    张*明, 欧阳娜娜 -> 欧**娜); a two-character name keeps its first (张三 -> 张*).
    Middle dots (阿依古丽·买买提) stay. Works on code points (𠮷 is one character)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    middle = "".join("·" if ch == "·" else "*" for ch in name[1:-1])
    return name[0] + middle + name[-1]


def mask_name(name: str, style: str) -> str:
    """The name as the 公示 shows it: ``given`` or ``middle`` (county.toml)."""
    return mask_middle(name) if style == "middle" else mask_given_name(name)


def _program_name(county: County, code: str, lang: str) -> str:
    program = county.programs.get(code)
    if program is None:
        return code
    return program.name_en if lang == "en" else program.name_zh


def _place_names(county: County, township: str, village: str) -> tuple[str, str]:
    town = county.townships.get(township)
    if town is None:
        return township, village
    names = {v.code: v.name for v in town.villages}
    return town.name, names.get(village, village)


def statement_context(
    raw: RawHistory,
    county: County,
    year: int,
    *,
    lang: str = "zh",
    deductions: dict[int, int] | None = None,
) -> dict[str, Any]:
    """Month by month for ``year``: program, entitled (gross), deducted (扣减, from
    ``deductions``: entitlement id -> fen), paid, date paid, bank outcome. A 分类施保
    supplement is marked with its name (county.toml ``[[supplements]]``)."""
    doc = build_history(raw, as_of=None, unmask=False)
    deductions = deductions or {}
    names = {s.code: (s.name_zh, s.name_en) for s in county.supplements}
    codes = {int(r["id"]): r.get("supplement") for r in raw.entitlements}
    by_entitlement: dict[int, list[dict[str, Any]]] = {}
    for instruction in doc["instructions"]:
        by_entitlement.setdefault(instruction["entitlement_id"], []).append(instruction)
    zh = lang != "en"
    rows = []
    entitled_total = paid_total = deducted_total = 0
    for entitlement in doc["entitlements"]:
        if not entitlement["period"].startswith(f"{year}-") or entitlement["status"] == "voided":
            continue
        attempts = sorted(by_entitlement.get(entitlement["id"], []), key=lambda i: i["attempt"])
        settled = [i for i in attempts if i["status"] == "settled"]
        last = attempts[-1] if attempts else None
        paid = sum(i["amount_fen"] for i in settled)
        paid_on = None
        if settled and settled[-1]["settled_at"]:
            moment = utc(settled[-1]["settled_at"])
            assert moment is not None
            paid_on = local_date(moment).isoformat()
        outcome = ""
        if last is not None:
            words = STATUS_TEXT.get(last["status"], (last["status"], last["status"]))
            outcome = words[0] if zh else words[1]
            failures = [i for i in attempts if i["reason_code"]]
            if failures and last["status"] != "settled":
                reason = failures[-1]
                outcome += f"（{reason['reason_code']} {reason['reason_text'] or ''}）".rstrip()
            elif failures:
                outcome += (
                    " ("
                    + ("曾失败 " if zh else "earlier failure ")
                    + str(failures[-1]["reason_code"])
                    + ")"
                )
        if entitlement["status"] == "cancelled":
            outcome = "已取消" if zh else "cancelled"
        deducted = deductions.get(int(entitlement["id"]), 0)
        entitled_total += entitlement["amount_fen"]
        deducted_total += deducted
        paid_total += paid
        label = KIND_LABEL.get(entitlement.get("kind", ""), ("", ""))[0 if zh else 1]
        code = codes.get(int(entitlement["id"]))
        if code:
            zh_name, en_name = names.get(code, (code, code))
            label = f"（分类施保：{zh_name}）" if zh else f" (supplement: {en_name})"
        rows.append(
            {
                "month": entitlement["period"],
                "program": _program_name(county, entitlement["program"], lang) + label,
                "entitled": format_yuan(entitlement["amount_fen"], thousands=True),
                "deducted": format_yuan(deducted, thousands=True) if deducted else "",
                "paid": format_yuan(paid, thousands=True),
                "paid_on": paid_on or "",
                "account": _paid_to(county, settled[-1] if settled else last or {}, zh),
                "outcome": outcome,
            }
        )
    rows.sort(key=lambda r: (r["month"], r["program"]))
    person = doc["recipient"]
    current = [e for e in doc["enrolments"] if e["current"]]
    township, village = ("", "")
    if current:
        township, village = _place_names(county, current[0]["township"], current[0]["village"])
    return {
        "lang": lang,
        "county": county.name,
        "year": year,
        "name": person["name"],
        "id_number": person["id_number"],  # masked
        "key": person["key"],
        "township": township,
        "village": village,
        "rows": rows,
        "entitled_total": format_yuan(entitled_total, thousands=True),
        "deducted_total": format_yuan(deducted_total, thousands=True),
        "paid_total": format_yuan(paid_total, thousands=True),
        "difference": format_yuan(entitled_total - deducted_total - paid_total, thousands=True),
        "generated": date.today().isoformat(),
    }


def render_statement(context: dict[str, Any]) -> str:
    return environment().get_template("recipient_statement.html.j2").render(**context)


DISCLOSURE_COLUMNS_ZH = (
    "乡镇（街道）",
    "村（社区）",
    "序号",
    "姓名",
    "家庭人口",
    "救助项目",
    "月发放金额（元）",
)
DISCLOSURE_COLUMNS_EN = (
    "Township",
    "Village",
    "No.",
    "Name",
    "Household size",
    "Program",
    "Monthly amount (yuan)",
)


def disclosure_context(
    rows: Iterable[Any],
    county: County,
    period: str,
    *,
    lang: str = "zh",
    start: date | None = None,
) -> dict[str, Any]:
    """Villages with their lines: masked name, household size, program, monthly amount;
    the 公示 period (``start`` and ``county.disclosure.days`` days), the hotline, totals.

    ``rows`` hold township, village, name, household_size, program, amount_fen only."""
    start = start or date.today()
    style = county.disclosure.name_mask
    villages: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        group = villages.get((row.township, row.village))
        if group is None:
            township, village = _place_names(county, row.township, row.village)
            group = {"township": township, "village": village, "lines": [], "total_fen": 0}
            villages[(row.township, row.village)] = group
        group["lines"].append(
            {
                "no": len(group["lines"]) + 1,
                "name": mask_name(str(row.name), style),
                "household_size": int(row.household_size),
                "program": _program_name(county, str(row.program), lang),
                "amount": format_yuan(int(row.amount_fen), thousands=True),
                "amount_fen": int(row.amount_fen),
            }
        )
        group["total_fen"] += int(row.amount_fen)
    for group in villages.values():
        group["total"] = format_yuan(group["total_fen"], thousands=True)
    total_fen = sum(g["total_fen"] for g in villages.values())
    return {
        "lang": lang,
        "county": county.name,
        "period": period,
        "villages": list(villages.values()),
        "count": sum(len(g["lines"]) for g in villages.values()),
        "total_fen": total_fen,
        "total": format_yuan(total_fen, thousands=True),
        "start": start.isoformat(),
        "end": (start + timedelta(days=county.disclosure.days - 1)).isoformat(),
        "hotline": county.disclosure.hotline,
        "generated": date.today().isoformat(),
    }


def render_disclosure(context: dict[str, Any]) -> str:
    return environment().get_template("disclosure.html.j2").render(**context)


def disclosure_csv(context: dict[str, Any]) -> str:
    header = DISCLOSURE_COLUMNS_EN if context["lang"] == "en" else DISCLOSURE_COLUMNS_ZH
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for group in context["villages"]:
        for line in group["lines"]:
            writer.writerow(
                [
                    neutralise_cell(v)
                    for v in (
                        group["township"],
                        group["village"],
                        line["no"],
                        line["name"],
                        line["household_size"],
                        line["program"],
                        format_yuan(line["amount_fen"]),
                    )
                ]
            )
    return buffer.getvalue()
