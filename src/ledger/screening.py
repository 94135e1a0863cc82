"""Screening at ``batch run``: the reasons a payment is held before it is paid (issue 17).

Each reason is data: its code (the value stored in ``instruction_holds.reason``), its
place in the precedence order (the approval sheet lists held payments by their first
reason in this order), and its Chinese and English names. The SQL that finds them is in
``ledger.db.screening_store``; every reason is also a finding rule for payments already
made (DESIGN §10), named in ``rule``.
"""

import re
from dataclasses import dataclass
from typing import Any

from ledger.identity import mask
from ledger.money import format_yuan


@dataclass(frozen=True)
class HoldReason:
    code: str
    title_zh: str
    title_en: str
    checks: str
    rule: str  # the finding rule that finds the same cause after payment


REASONS: tuple[HoldReason, ...] = (
    HoldReason(
        "deceased",
        "死亡人员",
        "Reported dead",
        "The death registry (every import) reports the ID number dead before the first "
        "day of the period (the month of death itself is still paid).",
        "M01",
    ),
    HoldReason(
        "public_employee",
        "公职/财政供养人员",
        "Public employee (financial payroll)",
        "The ID number is on the latest staff roster (公职人员、财政供养人员).",
        "M07",
    ),
    HoldReason(
        "cadre_relative",
        "干部近亲属未备案",
        "Cadre's near relative not filed",
        "The ID number is a cadre's near relative on the latest cadre list, and the "
        "relation is not filed (近亲属备案).",
        "M08",
    ),
    HoldReason(
        "vehicle",
        "名下有车辆",
        "Owns a vehicle",
        "The latest vehicle list (车辆) has a current vehicle (not 注销/报废) of the ID "
        "number, not of a type in screening.vehicle_exempt_types, worth more than "
        "screening.vehicle_value_max or of no stated value.",
        "M11",
    ),
    HoldReason(
        "property",
        "房产超过标准",
        "Property beyond the limit",
        "The latest property list (不动产) has more current properties of the ID number "
        "than screening.property_count_max, or more building area in total than "
        "screening.property_area_max (uses in screening.property_exempt_usages, such as "
        "parking spaces, do not count).",
        "M12",
    ),
    HoldReason(
        "business",
        "登记经营市场主体",
        "Registered business",
        "The ID number is a person (法定代表人, 股东, 经营者) of a current business "
        "(存续/在业) on the latest business-registration list (工商/市场主体) with "
        "registered capital above screening.business_capital_max, or none stated.",
        "M13",
    ),
    HoldReason(
        "provident_fund",
        "缴存住房公积金",
        "Paying into a housing provident fund",
        "The latest provident-fund list (公积金) has a current (正常) account of the ID "
        "number depositing more a month than screening.provident_fund_monthly_max: a job "
        "whose wages the assessment must count.",
        "M14",
    ),
    HoldReason(
        "exclusive_program",
        "互斥项目重复享受",
        "Mutually exclusive programs",
        "The recipient has a live payment of the same period in a program that excludes "
        "this one (county.toml programs.excludes); both are held.",
        "M04",
    ),
    HoldReason(
        "duplicate_id",
        "同一身份证号重复",
        "Same ID number twice",
        "The same ID number has live payments of the period in more than one township "
        "(any programs): one person enrolled twice.",
        "M05",
    ),
    HoldReason(
        "shared_account",
        "多户共用一个账户",
        "Account shared across households",
        "The account receives live payments of the period for recipients of more than "
        "one household; every payment into it is held until the checker releases the "
        "legitimate one.",
        "D02",
    ),
    HoldReason(
        "account_closed",
        "账户已销户或冻结未变更",
        "Account reported closed or frozen, not changed",
        "The bank reported an earlier payment to this recipient and this same account "
        "failed with AC04 (closed) or AC06 (blocked, frozen); the account was not "
        "changed since.",
        "W03",
    ),
    HoldReason(
        "name_unencodable",
        "户名无法写入银行文件",
        "Name the bank file cannot encode",
        "The account holder's name has characters the bank's file profile encoding "
        "(e.g. GBK) cannot hold; found at run, not at export after approval.",
        "-",
    ),
    HoldReason(
        "above_standard",
        "超过项目标准",
        "Above the program's standard",
        "The amount is above the program's monthly_cap in county.toml.",
        "M09",
    ),
)

BY_CODE = {reason.code: reason for reason in REASONS}
PRECEDENCE = {reason.code: index for index, reason in enumerate(REASONS)}


def first_reason(codes: list[str]) -> str:
    """The reason a held payment is listed under: the first in precedence order."""
    return min(codes, key=PRECEDENCE.__getitem__)


def _where(ref: str | None, zh: bool) -> str:
    """'import 3 row 12' (how the holds store a list row) in the document's language."""
    match = re.fullmatch(r"import (\d+) row (\d+)", ref or "")
    if match is None:
        return ref or ""
    return f"导入批次 {match[1]} 第 {match[2]} 行" if zh else f"import {match[1]}, row {match[2]}"


def evidence_text(hold: Any, lang: str = "zh") -> str:
    """The evidence of one hold as a sentence for the approval sheet and ``batch show``
    (ID and card numbers masked). ``hold`` has the columns of ``instruction_holds``."""
    zh = lang != "en"
    ref, date_, source, detail = hold.evidence_ref, hold.evidence_date, hold.source, hold.detail
    where = _where(ref, zh)
    code = hold.reason
    if code == "deceased":
        return (
            f"死亡名单（{where}）：死亡日期 {date_}，来源 {source or '—'}"
            if zh
            else f"death registry ({where}): died {date_}, source {source or '-'}"
        )
    if code == "public_employee":
        return (
            f"财政供养人员名单（{where}）：单位 {source or '—'}"
            if zh
            else f"staff roster ({where}): employer {source or '-'}"
        )
    if code == "cadre_relative":
        return (
            f"干部近亲属名单（{where}）：{detail}，单位 {source or '—'}，未备案"
            if zh
            else f"cadre list ({where}): {detail}, {source or '-'}, not filed"
        )
    if code == "exclusive_program":
        return (
            f"本期同时在互斥项目 {detail} 领取（支付指令 {ref}）"
            if zh
            else f"also paid this period by the exclusive program {detail} (instruction {ref})"
        )
    if code == "duplicate_id":
        return (
            f"身份证号 {mask(ref)} 本期在 {detail} 个乡镇领取"
            if zh
            else f"ID {mask(ref)} paid in {detail} townships this period"
        )
    if code == "shared_account":
        return (
            f"账户 {mask(ref)} 本期为 {detail} 户收款"
            if zh
            else f"account {mask(ref)} receives for {detail} households this period"
        )
    if code == "account_closed":
        return (
            f"银行回盘 {source}（指令 {ref}）后账户未变更"
            if zh
            else f"bank answered {source} (instruction {ref}); the account is unchanged"
        )
    if code == "name_unencodable":
        return (
            f"户名中的“{detail}”无法写入 {source} 银行文件"
            if zh
            else f"the name's '{detail}' cannot be written in the {source} bank file"
        )
    if code == "above_standard":
        amount, cap = (
            format_yuan(int(detail), thousands=True),
            format_yuan(int(ref), thousands=True),
        )
        return (
            f"金额 {amount} 元，超过项目标准 {cap} 元"
            if zh
            else f"amount {amount} yuan above the program's standard {cap} yuan"
        )
    return detail
