"""Words for people: Chinese (default) and English labels of the codes the engine stores.

The rules and the reconciliation store English sentences (``findings.summary``,
``reconciliation_exceptions.detail``); a Chinese document shows them in Chinese. Each
sentence shape has one pattern here; a sentence no pattern knows is replaced by the
given fallback (the rule's Chinese title), never shown in English in a Chinese document.
Codes (batch states, programs, accounts, evidence keys) get their names here too.
"""

import re
from collections.abc import Callable
from typing import Any

from ledger.county import County
from ledger.money import format_yuan
from ledger.screening_limits import format_area

BATCH_STATES = {
    "draft": ("草稿", "draft"),
    "approved": ("已审批", "approved"),
    "exported": ("已导出", "exported"),
    "partially_reconciled": ("部分对账", "partially reconciled"),
    "reconciled": ("已对账", "reconciled"),
    "closed": ("已关闭", "closed"),
    "voided": ("已作废", "voided"),
}

REFERENCES = {
    "ref_deaths": "死亡人员名单",
    "ref_staff": "财政供养人员名单",
    "ref_staff_accounts": "工作人员工资账户名单",
    "ref_cadre_relatives": "干部近亲属备案",
    "ref_vehicles": "车辆登记信息",
    "ref_property": "不动产登记信息",
    "ref_businesses": "市场主体登记信息",
    "ref_provident_fund": "住房公积金缴存信息",
}


# The asset rules' evidence (M11-M14): money in fen and the lists' own identifiers.
_ASSET_MONEY = {
    "value_fen": ("车辆价值", "vehicle value"),
    "capital_fen": ("注册资本", "registered capital"),
    "monthly_deposit_fen": ("月缴存额", "monthly deposit"),
}
_ASSET_TEXT = {
    "plate": ("号牌", "plate"),
    "certificate_no": ("不动产权证号", "certificate"),
    "credit_code": ("统一社会信用代码", "credit code"),
}


def _asset_fact(key: str, value: Any, zh: bool) -> str | None:
    if key in _ASSET_MONEY:
        yuan = format_yuan(int(value), thousands=True)
        zh_label, en_label = _ASSET_MONEY[key]
        return f"{zh_label} {yuan}元" if zh else f"{en_label} {yuan} yuan"
    if key in _ASSET_TEXT:
        zh_label, en_label = _ASSET_TEXT[key]
        return f"{zh_label} {value}" if zh else f"{en_label} {value}"
    if key == "properties":
        return f"不动产{value}处" if zh else f"{value} properties"
    if key == "area_dm2":
        area = format_area(int(value))
        return f"建筑面积合计 {area}平方米" if zh else f"total area {area} m2"
    return None


def stated(value: str, label: str) -> str:
    return f"{label}未登记" if value == "no stated value" else f"{label}{value}元"


ID_PROBLEMS = {
    "malformed": "身份证号不是17位数字加校验码",
    "checksum": "身份证号校验码错误",
    "birth_date": "身份证号出生日期不存在",
}

KINDS_ZH = {
    "unmatched": "无法匹配",
    "account_mismatch": "账号不符",
    "batch_not_exported": "批次未导出",
}


def batch_state(state: str, lang: str) -> str:
    zh, en = BATCH_STATES.get(state, (state, state))
    return zh if lang != "en" else en


def program_name(county: County, code: str | None, lang: str) -> str:
    """The program's name in the language; the code when the county does not know it."""
    if not code:
        return ""
    program = county.programs.get(code)
    if program is None:
        return code
    return program.name_zh if lang != "en" else program.name_en


def account_label(county: County, name: str, lang: str) -> str:
    """A treasury or clearing account by what it is: 国库资金（农村最低生活保障）."""
    parts = name.split(":")
    zh = lang != "en"
    if parts[:2] == ["Assets", "Treasury"] and len(parts) == 3:
        program = program_name(county, parts[2], lang)
        return f"财政专户资金（{program}）" if zh else f"treasury funds ({program})"
    if parts[:2] == ["Assets", "BankClearing"] and len(parts) == 3:
        bank = county.banks.get(parts[2])
        label = bank.name if bank else parts[2]
        return f"银行在途资金（{label}）" if zh else f"bank clearing ({label})"
    return name


_DETAILS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"no instruction has this EndToEndId\Z"), lambda m: "没有此业务流水号的支付指令"),
    (
        re.compile(r"control_count: the header line says (\d+) lines, the file has (\d+)\Z"),
        lambda m: f"汇总笔数：文件头为{m[1]}笔，明细为{m[2]}笔",
    ),
    (
        re.compile(
            r"control_sum: the header line says (\d+) fen, the lines sum to (\d+) fen "
            r"\(([+-]\d+)\)\Z"
        ),
        lambda m: (
            f"汇总金额：文件头为{format_yuan(int(m[1]), thousands=True)}元，明细合计"
            f"{format_yuan(int(m[2]), thousands=True)}元"
            f"（差{format_yuan(int(m[3]), thousands=True)}元）"
        ),
    ),
    (
        re.compile(r"the line says ([\d.,]+) yuan, the instruction is ([\d.,]+)\Z"),
        lambda m: f"回盘金额{m[1]}元，指令金额{m[2]}元",
    ),
    (
        re.compile(r"the line names another account than the instruction\Z"),
        lambda m: "回盘账号与指令账号不同",
    ),
]


def detail(text: str, lang: str, fallback: str) -> str:
    """A reconciliation exception's detail in the language."""
    if lang == "en" or not text:
        return text
    for regex, zh in _DETAILS:
        if match := regex.match(text):
            return zh(match)
    return fallback


# Evidence: which keys are ids (the detail column) and how the other keys read.
_ID_KEYS = {
    "instruction_ids": ("支付指令", "instructions"),
    "transaction_ids": ("记账凭证", "transactions"),
    "exception_ids": ("对账异常", "reconciliation exceptions"),
    "entitlement_id": ("待遇", "entitlement"),
    "batch_id": ("批次", "batch"),
    "refdata_import_id": ("比对数据导入", "reference import"),
    "return_file_id": ("回盘文件", "return file"),
    "recipients": ("涉及对象", "recipients"),
}


def evidence_facts(county: County, evidence: dict[str, Any], lang: str) -> list[str]:
    """The evidence as readable facts (ids are in ``evidence_ids``)."""
    zh = lang != "en"
    out: list[str] = []
    for key, value in evidence.items():
        if value is None or value == [] or value == {}:
            continue
        if key == "recipients" and _counts(value):
            counts = " → ".join(map(str, value))
            out.append(f"人数 {counts}" if zh else f"recipients {counts}")
            continue
        if key in _ID_KEYS:
            continue
        if key == "reference":
            name = REFERENCES.get(str(value), str(value))
            out.append(f"比对：{name}" if zh else f"checked against: {value}")
        elif key == "line":
            out.append(f"第{value}行" if zh else f"line {value}")
        elif key == "bank_reason":
            out.append(f"银行退回原因 {value}" if zh else f"bank reason {value}")
        elif key == "reason_code":
            out.append(f"失败原因 {value}" if zh else f"failure reason {value}")
        elif key == "batch_state":
            out.append(f"批次状态：{batch_state(str(value), lang)}" if zh else f"batch {value}")
        elif key == "file":
            out.append(f"文件 {value}" if zh else f"file {value}")
        elif key == "instruction_count":
            out.append(f"{value}笔" if zh else f"{value} payments")
        elif key == "oldest_allocation":
            out.append(f"最早拨付 {value}" if zh else f"oldest allocation {value}")
        elif key == "idle_by_source" and isinstance(value, list):
            for item in value[:10]:
                yuan = format_yuan(int(item["idle_fen"]), thousands=True)
                name = county.sources.get(item["source"], item["source"]) if zh else item["source"]
                out.append(
                    f"{name} {item['doc']}（{item['date']}）闲置{yuan}元，{item['age_days']}天"
                    if zh
                    else f"{name} {item['doc']} ({item['date']}): {yuan} yuan idle "
                    f"{item['age_days']} days"
                )
        elif key in _MATCHING:
            label_zh, label_en = _MATCHING[key]
            shown = (
                str(value)
                if key.endswith("percent") or key == "year"
                else (format_yuan(int(value), thousands=True))
            )
            out.append(f"{label_zh} {shown}" if zh else f"{label_en} {shown}")
        elif key == "cap_fen":
            yuan = format_yuan(int(value), thousands=True)
            out.append(f"月标准 {yuan}元" if zh else f"monthly standard {yuan} yuan")
        elif key == "age":
            out.append(f"年龄 {value}岁" if zh else f"age {value}")
        elif key == "problem":
            text = ID_PROBLEMS.get(str(value), "地区码不属本县" if value == "region" else value)
            out.append(str(text) if zh else f"problem: {value}")
        elif key == "periods" and isinstance(value, list):
            out.append(("期间 " if zh else "periods ") + " → ".join(map(str, value)))
        elif key == "amount_fen" and isinstance(value, list):
            yuan = " → ".join(format_yuan(int(v), thousands=True) for v in value)
            out.append(f"金额 {yuan}元" if zh else f"amount {yuan} yuan")
        elif key == "kinds" and isinstance(value, list):
            kinds = "、".join(KINDS_ZH.get(str(k), str(k)) for k in value)
            out.append(f"异常类型：{kinds}" if zh else "kinds: " + ", ".join(map(str, value)))
        elif (fact := _asset_fact(key, value, zh)) is not None:
            out.append(fact)
        elif key == "lines" and isinstance(value, list):
            for line in value[:5]:
                where = f"{line.get('file', '')} 第{line.get('line')}行"
                out.append(where if zh else f"{line.get('file', '')} line {line.get('line')}")
        elif zh:
            continue  # an evidence key without a Chinese label: its ids stay in the detail
        else:
            out.append(f"{key}: {value}")
    return out


# W06's evidence (matching funds, 配套).
_MATCHING = {
    "year": ("年度", "year"),
    "upper_allocations_fen": ("上级资金(元)", "from the tiers above (yuan)"),
    "county_allocations_fen": ("县级配套(元)", "county allocations (yuan)"),
    "required_fen": ("应配套(元)", "required (yuan)"),
    "required_percent": ("配套比例(%)", "required share (%)"),
}


def _counts(value: Any) -> bool:
    """A fluctuation's ``recipients`` are head counts (ints), elsewhere recipient keys."""
    return isinstance(value, list) and all(isinstance(v, int) for v in value)


def evidence_ids(evidence: dict[str, Any], lang: str) -> str:
    """The ids of the evidence, one ``label: ids`` group each (the detail column)."""
    zh = lang != "en"
    groups = []
    for key, (label_zh, label_en) in _ID_KEYS.items():
        value = evidence.get(key)
        if value is None or value == [] or (key == "recipients" and _counts(value)):
            continue
        ids = value if isinstance(value, list) else [value]
        label = label_zh if zh else label_en
        groups.append(f"{label} " + ",".join(str(v) for v in ids))
    return "; ".join(groups)
