"""The asset lists audits match against (房子、车子、票子): their columns and validation.

- vehicles (车辆, from 公安交管): one row per vehicle and owner: plate, type, value.
- property (不动产, from the real-estate register): one row per property and owner
  (co-owners each have a row): certificate number, location, use, building area.
- business (工商/市场主体, from 市场监管): one row per business and person (法定代表人,
  股东, 经营者): unified social credit code, name, registered capital.
- provident_fund (住房公积金): one row per depositor: employer, monthly deposit.

Each is a snapshot: the latest import of the kind is current. Money columns are parsed
with ``ledger.money.parse_yuan`` into fen; areas into square decimetres. A status column
says whether the row is still current; the statuses of each kind are listed in
``STATUS_WORDS``, anything else is an error.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ledger.columns import Column
from ledger.money import MAX_FEN
from ledger.screening_limits import parse_area

if TYPE_CHECKING:  # the command line names the KINDS without loading pandas
    import pandas as pd

    from ledger.tabular import Checker

KINDS = ("vehicles", "property", "business", "provident_fund")

COLUMNS: dict[str, tuple[Column, ...]] = {
    "vehicles": (
        Column("id_number", "身份证号", also=("公民身份号码", "身份证号码", "所有人身份证号")),
        Column("name", "姓名", required=False, also=("所有人",)),
        Column("plate", "号牌号码", also=("车牌号", "车牌号码", "号牌")),
        Column("vehicle_type", "车辆类型", required=False, also=("车型",)),
        Column(
            "value",
            "车辆价值(元)",
            required=False,
            also=("车辆价值（元）", "价值(元)", "价值（元）", "购置价格(元)", "评估价值(元)"),
        ),
        Column("registered_on", "初次登记日期", required=False, also=("登记日期",)),
        Column("status", "状态", required=False, also=("机动车状态", "车辆状态")),
    ),
    "property": (
        Column("id_number", "身份证号", also=("公民身份号码", "身份证号码", "权利人身份证号")),
        Column("name", "姓名", required=False, also=("权利人",)),
        Column("certificate_no", "不动产权证号", also=("不动产权证书号", "产权证号", "证书号")),
        Column("location", "坐落", required=False, also=("房屋坐落", "地址")),
        Column("usage", "用途", required=False, also=("房屋用途", "规划用途")),
        Column(
            "area",
            "建筑面积(平方米)",
            also=("建筑面积（平方米）", "建筑面积(㎡)", "建筑面积（㎡）", "建筑面积"),
        ),
        Column("registered_on", "登记日期", required=False, also=("登簿日期",)),
        Column("status", "状态", required=False, also=("权利状态", "登记状态")),
    ),
    "business": (
        Column(
            "id_number",
            "身份证号",
            also=("公民身份号码", "身份证号码", "法定代表人身份证号", "投资人身份证号"),
        ),
        Column("name", "姓名", required=False),
        Column("credit_code", "统一社会信用代码", also=("信用代码",)),
        Column("company", "企业名称", also=("市场主体名称", "名称", "字号名称")),
        Column("role", "身份", required=False, also=("角色", "人员类型", "职务")),
        Column("entity_type", "主体类型", required=False, also=("企业类型", "市场主体类型")),
        Column(
            "registered_capital",
            "注册资本(元)",
            required=False,
            also=("注册资本（元）", "出资额(元)", "出资额（元）", "资金数额(元)"),
        ),
        Column(
            "registered_capital_wan",
            "注册资本(万元)",
            required=False,
            also=("注册资本（万元）", "出资额(万元)", "出资额（万元）"),
        ),
        Column("established_on", "成立日期", required=False),
        Column("status", "登记状态", required=False, also=("经营状态", "状态")),
    ),
    "provident_fund": (
        Column("id_number", "身份证号", also=("公民身份号码", "身份证号码")),
        Column("name", "姓名", required=False),
        Column("employer", "缴存单位", also=("单位名称", "工作单位")),
        Column(
            "monthly_deposit",
            "月缴存额(元)",
            also=("月缴存额（元）", "月缴存额"),
        ),
        Column("paid_to", "缴至年月", required=False, also=("缴至月份", "缴存至")),
        Column("status", "缴存状态", required=False, also=("账户状态", "状态")),
    ),
}

# Status text -> current (True) or no longer (False); an empty cell is current.
STATUS_WORDS: dict[str, dict[str, bool]] = {
    "vehicles": {
        **dict.fromkeys(("", "正常", "在用", "active"), True),
        **dict.fromkeys(("注销", "已注销", "报废", "已报废", "转出", "cancelled"), False),
    },
    "property": {
        **dict.fromkeys(("", "现势", "正常", "有效", "active"), True),
        **dict.fromkeys(("注销", "已注销", "历史", "cancelled"), False),
    },
    "business": {
        **dict.fromkeys(("", "存续", "在业", "开业", "在营", "正常", "active"), True),
        **dict.fromkeys(
            ("注销", "已注销", "吊销", "已吊销", "撤销", "迁出", "cancelled", "revoked"), False
        ),
    },
    "provident_fund": {
        **dict.fromkeys(("", "正常", "缴存", "active"), True),
        **dict.fromkeys(("封存", "销户", "停缴", "sealed", "closed"), False),
    },
}

# The columns one row is identified by: a second row with the same values is an error.
KEYS: dict[str, list[str]] = {
    "vehicles": ["plate"],
    "property": ["certificate_no", "id_number"],
    "business": ["credit_code", "id_number"],
    "provident_fund": ["id_number"],
}

# The longest text the tables hold (schema/refdata.py), checked here so that a long cell
# is named by row and column instead of refused by the database.
MAX_LENGTHS = {
    "name": 64,
    "vehicle_type": 32,
    "certificate_no": 64,
    "location": 255,
    "usage": 32,
    "company": 255,
    "role": 32,
    "entity_type": 64,
    "employer": 255,
}

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(rf"[{_PROVINCES}][A-Z](?:[A-Z0-9]{{5,6}}|[A-Z0-9]{{4}}[挂学警港澳领试超])")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# parse_yuan of a 万元 amount counts hundredths of 万元: 100 yuan, 10,000 fen each.
_FEN_PER_HUNDREDTH_WAN = 10_000


def uscc_ok(code: str) -> bool:
    """A unified social credit code (GB 32100): 18 characters, the last a check character."""
    if len(code) != 18 or any(ch not in _USCC_CHARS for ch in code):
        return False
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(code, _USCC_WEIGHTS, strict=False))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


def uscc_check_char(body: str) -> str:
    """The check character of the first 17 characters of a credit code."""
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate(kind: str, frame: pd.DataFrame, check: Checker, out: pd.DataFrame) -> pd.DataFrame:
    """Add the normalised columns of one chunk of an asset list to ``out``."""
    import pandas as pd

    from ledger.tabular import per_unique

    out["id_number"], _ = check.id_numbers(frame["id_number"], "id_number")
    for key, longest in MAX_LENGTHS.items():
        if key in frame:
            check.flag(frame[key].str.len() > longest, key, f"longer than {longest} characters")
    out["name"] = _text_or_none(frame["name"])
    status = frame["status"]
    words = STATUS_WORDS[kind]
    active = per_unique(status, lambda u: u.str.lower().map(words))
    shown = "/".join(w for w in words if w and not w.isascii())
    check.flag(active.isna(), "status", f"unknown status (one of {shown})")
    out["status"] = _text_or_none(status)
    out["active"] = active.fillna(False).astype(bool)
    if kind == "vehicles":
        plate = per_unique(
            frame["plate"], lambda u: u.str.replace(r"[\s·•.\-]", "", regex=True).str.upper()
        )
        ok = per_unique(plate, lambda u: u.map(lambda p: bool(_PLATE.fullmatch(p))))
        check.flag(
            (frame["plate"] != "") & ~ok.astype(bool),
            "plate",
            "not a number plate (省份简称, a letter, 5 or 6 letters or digits: 冀A12345)",
        )
        out["plate"] = plate.where(ok.astype(bool), None)
        out["vehicle_type"] = _text_or_none(frame["vehicle_type"])
        out["value_fen"] = check.yuan(frame["value"], "value")
        out["registered_on"] = check.day(frame["registered_on"], "registered_on")
    elif kind == "property":
        out["certificate_no"] = frame["certificate_no"]
        out["location"] = _text_or_none(frame["location"])
        out["usage"] = _text_or_none(frame["usage"])
        area = per_unique(frame["area"], lambda u: u.map(_area_or_none))
        check.flag(
            (frame["area"] != "") & area.isna(),
            "area",
            "not an area in square metres with at most 2 decimals (e.g. 86.50)",
        )
        out["area_dm2"] = area
        out["registered_on"] = check.day(frame["registered_on"], "registered_on")
    elif kind == "business":
        code = per_unique(frame["credit_code"], lambda u: u.str.upper())
        ok = per_unique(code, lambda u: u.map(uscc_ok)).astype(bool)
        check.flag(
            (code != "") & ~ok,
            "credit_code",
            "not a unified social credit code (18 characters, check character of GB 32100)",
        )
        out["credit_code"] = code.where(ok, None)
        out["company"] = frame["company"]
        out["role"] = _text_or_none(frame["role"])
        out["entity_type"] = _text_or_none(frame["entity_type"])
        yuan = check.yuan(frame["registered_capital"], "registered_capital")
        wan = check.yuan(frame["registered_capital_wan"], "registered_capital_wan")
        check.flag(
            (frame["registered_capital"] != "") & (frame["registered_capital_wan"] != ""),
            "registered_capital",
            "give the capital in one column: 注册资本(元) or 注册资本(万元)",
        )
        # Python ints throughout (a pandas map would infer float64 beside the Nones).
        wan_fen = pd.Series(
            [None if v is None else int(v) * _FEN_PER_HUNDREDTH_WAN for v in wan],
            index=wan.index,
            dtype=object,
        )
        too_large = pd.Series([v is not None and v > MAX_FEN for v in wan_fen], index=wan.index)
        check.flag(too_large, "registered_capital_wan", "too large for the ledger's amounts")
        out["capital_fen"] = pd.Series(
            [y if y is not None else (w if w is not None and w <= MAX_FEN else None)
             for y, w in zip(yuan, wan_fen, strict=True)],
            index=yuan.index,
            dtype=object,
        )  # fmt: skip
        out["established_on"] = check.day(frame["established_on"], "established_on")
    else:
        out["employer"] = frame["employer"]
        out["monthly_deposit_fen"] = check.yuan(frame["monthly_deposit"], "monthly_deposit")
        out["paid_to"] = check.month(frame["paid_to"], "paid_to")
    return out


def _area_or_none(text: str) -> int | None:
    try:
        return parse_area(text) if text else None
    except ValueError:
        return None


def _text_or_none(values: pd.Series) -> pd.Series:

    return values.where(values != "", None)
