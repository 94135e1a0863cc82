"""The findings' summaries in Chinese: one pattern per English sentence shape a rule
stores (``findings.summary``), with its Chinese rendering. ``summary`` gives a summary in
the document's language; a sentence no pattern knows gives the fallback (the rule's
Chinese title), never English in a Chinese document (see ``ledger.wording``)."""

import re
from collections.abc import Callable

from ledger.county import County
from ledger.wording import ID_PROBLEMS, KINDS_ZH, batch_state, program_name, stated


def _programs(county: County, text: str) -> str:
    return "、".join(program_name(county, p.strip(), "zh") for p in text.split(","))


Pattern = tuple[str, re.Pattern[str], Callable[[re.Match[str], County], str]]


def _p(rule: str, regex: str, zh: Callable[[re.Match[str], County], str]) -> Pattern:
    return (rule, re.compile(regex + r"\Z"), zh)


_SUMMARIES: list[Pattern] = [
    _p(
        "D01",
        r"the bank rejected the payee name \(BE01\)",
        lambda m, c: "银行以户名不符退回（BE01）",
    ),
    _p(
        "D01",
        r"the account holder is not the recipient",
        lambda m, c: "收款账户户名不是救助对象本人",
    ),
    _p(
        "D02",
        r"one account receives for (\d+) recipients of (\d+) households \(多人一卡\)",
        lambda m, c: f"一个账户为{m[2]}户{m[1]}名对象收款（多人一卡）",
    ),
    _p(
        "D03",
        r"paid into a salary account of a public employee",
        lambda m, c: "发放到公职人员工资账户",
    ),
    _p(
        "D04",
        r"bank account changed (\d+) days before the payment \(limit (\d+)\)",
        lambda m, c: f"发放前{m[1]}天变更银行账户（限{m[2]}天）",
    ),
    _p(
        "D05",
        r"bank return file reports (\d+) payment line\(s\) we never instructed as such \((.*)\)",
        lambda m, c: (
            f"银行回盘有{m[1]}笔付款与我方指令不符（"
            + "、".join(KINDS_ZH.get(k.strip(), k) for k in m[2].split(","))
            + "）"
        ),
    ),
    _p(
        "D06",
        r"(\d+) payment\(s\) out of the special account that fund no payment batch and return "
        r"nothing to a source",
        lambda m, c: f"专户支出{m[1]}笔，既不对应发放批次，也未退回资金来源",
    ),
    _p(
        "F01",
        r"recipients (\d+) → (\d+) \(([+-][\d.]+)%\), amount ([+-][\d.]+)% against (\S+) "
        r"\(limit ±(\d+)%\)",
        lambda m, c: f"发放人数{m[1]}→{m[2]}（{m[3]}%），金额{m[4]}%，对比{m[5]}（限±{m[6]}%）",
    ),
    _p(
        "M01",
        r"paid for (\S+) though reported dead on (\S+) \((.*)\)",
        lambda m, c: f"{m[2]}已报死亡（{m[3]}），仍发放{m[1]}资金",
    ),
    _p(
        "M02",
        r"paid for (\S+) after leaving the program \(exit (\S+)\)",
        lambda m, c: f"{m[2]}已退出项目，仍发放{m[1]}资金",
    ),
    _p(
        "M02",
        r"paid for (\S+) after leaving the program \(last month (\S+)\)",
        lambda m, c: f"最后享受月份为{m[2]}，仍发放{m[1]}资金",
    ),
    _p(
        "M03",
        r"paid (\d+) times for one entitlement of (\S+)",
        lambda m, c: f"{m[2]}同一笔待遇发放{m[1]}次",
    ),
    _p(
        "M04",
        r"paid by mutually exclusive programs: (.*)",
        lambda m, c: f"同时享受互斥项目：{_programs(c, m[1])}",
    ),
    _p(
        "M05",
        r"paid in two townships: (.*)",
        lambda m, c: (
            "在两个乡镇同时领取："
            + "、".join(
                c.townships[t.strip()].name if t.strip() in c.townships else t.strip()
                for t in m[1].split(",")
            )
        ),
    ),
    _p(
        "M06",
        r"the ID number's region is outside the county \((\d+)\)",
        lambda m, c: f"身份证号地区码不属本县（{m[1]}）",
    ),
    _p(
        "M06",
        re.escape("the ID number is not 17 digits and a check character"),
        lambda m, c: ID_PROBLEMS["malformed"],
    ),
    _p(
        "M06",
        re.escape("the ID number's check character is wrong"),
        lambda m, c: ID_PROBLEMS["checksum"],
    ),
    _p(
        "M06",
        re.escape("the ID number's birth date is impossible"),
        lambda m, c: ID_PROBLEMS["birth_date"],
    ),
    _p("M07", r"the recipient is on the payroll of (.*)", lambda m, c: f"对象为{m[1]}在编在岗人员"),
    _p(
        "M08",
        r"near relative \((.*)\) of a cadre \((.*)\), relation not filed \(近亲属未备案\)",
        lambda m, c: (
            f"为干部（{m[2] or '干部'}）的近亲属（{m[1] if m[1] != 'relative' else '亲属'}）"
            "，未备案"
        ),
    ),
    _p(
        "M09",
        r"(household|person) paid ([\d.]+) yuan in (\S+), above the monthly standard of "
        r"([\d.]+) yuan",
        lambda m, c: (
            f"{'该户' if m[1] == 'household' else '该人'}在{program_name(c, m[3], 'zh')}"
            f"领取{m[2]}元，超过月标准{m[4]}元"
        ),
    ),
    _p(
        "M10",
        r"aged (\d+) at the start of (\S+), outside the ages of (\S+)",
        lambda m, c: f"{m[2]}初年满{m[1]}岁，不符合{program_name(c, m[3], 'zh')}的年龄条件",
    ),
    _p(
        "M11",
        r"owns vehicle (\S+) \((.*), (no stated value|[\d.]+)\), above the vehicle limit",
        lambda m, c: (
            f"名下有车辆{m[1]}（{'类型未登记' if m[2] == 'type not stated' else m[2]}，"
            f"{stated(m[3], '价值')}），超过车辆标准"
        ),
    ),
    _p(
        "M12",
        r"owns (\d+) properties of ([\d.]+) m2 in total, beyond the property limits",
        lambda m, c: f"名下不动产{m[1]}处，建筑面积合计{m[2]}平方米，超过住房标准",
    ),
    _p(
        "M13",
        r"(.*?) of (.*) \((\w{18})\), registered capital (no stated value|[\d.]+)",
        lambda m, c: (
            f"为{m[2]}（{m[3]}）的{'登记人员' if m[1] == 'registered person' else m[1]}，"
            f"{stated(m[4], '注册资本')}"
        ),
    ),
    _p(
        "M14",
        r"deposits ([\d.]+) yuan a month into a housing provident fund through (.*)",
        lambda m, c: f"通过{m[2]}每月缴存住房公积金{m[1]}元",
    ),
    _p(
        "W01",
        r"entitlement for (\S+) not sent to the bank more than (\d+) days after the period "
        r"\(batch (\d+) is (\w+)\)",
        lambda m, c: (
            f"{m[1]}待遇期满{m[2]}天后仍未发送银行（批次{m[3]}：{batch_state(m[4], 'zh')}）"
        ),
    ),
    _p(
        "W02",
        r"(\d+) payment\(s\) at (\S+) unconfirmed (\d+) days after export \(limit (\d+)\)",
        lambda m, c: (
            f"{c.banks[m[2]].name if m[2] in c.banks else m[2]}{m[1]}笔付款导出后"
            f"{m[3]}天未确认（限{m[4]}天）"
        ),
    ),
    _p(
        "W03",
        r"payment failed \((.*)\) (\d+) days ago, neither re-issued nor cancelled \(limit (\d+)\)",
        lambda m, c: (
            f"{m[2]}天前发放失败（{'无原因' if m[1] == 'no reason' else m[1]}），"
            f"既未补发也未核销（限{m[3]}天）"
        ),
    ),
    _p(
        "W04",
        r"allocated funds unspent more than (\d+) days \(oldest allocation (\S+)\)",
        lambda m, c: f"拨付资金超过{m[1]}天未使用（最早一笔拨付于{m[2]}）",
    ),
    _p(
        "W06",
        r"county matching funds ([\d.]+) of ([\d.]+) yuan required \(([\d.]+)% of ([\d.]+)"
        r" from the tiers above in (\d{4})\)",
        lambda m, c: f"{m[5]}年县级配套资金{m[1]}元，按上级资金{m[4]}元的{m[3]}%应配套{m[2]}元",
    ),
    _p(
        "W07",
        r"cash of batch (\d+) \(line (\d+), (\S+)\) not signed for (\d+) days after it was"
        r" drawn \(limit (\d+)\)",
        lambda m, c: f"批次{m[1]}第{m[2]}行现金（{m[3]}）支取后{m[4]}天未签收（限{m[5]}天）",
    ),
    _p(
        "W05",
        r"paid ([\d.]+) of ([\d.]+) yuan entitled \((.*)\)",
        lambda m, c: (
            f"应发{m[2]}元，实发{m[1]}元（"
            + {"bank reported": "银行回盘", "instructed": "支付指令"}.get(m[3], m[3])
            + "）"
        ),
    ),
]


def summary(county: County, rule: str, text: str, lang: str, fallback: str) -> str:
    """A finding's summary in the language (English as stored, Chinese by pattern)."""
    if lang == "en":
        return text
    for pattern_rule, regex, zh in _SUMMARIES:
        if pattern_rule == rule and (match := regex.match(text)):
            return zh(match, county)
    return fallback
