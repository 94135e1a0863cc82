"""Planted asset cases for the demo (房子、车子、票子): people on the vehicle, property,
business and provident-fund lists beyond the county's ``[screening]`` limits, each list
with a near miss the limits let through. ``ledger.demo.anomalies.make_plan`` calls
``plant_assets`` with its own picker (disjoint people) and subject builder; the lists
are written to ``refdata/{kind}.csv`` and imported on day 1, so screening holds them.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ledger.demo.catalogue import ASSET_COUNTS
from ledger.demo.county import month_of
from ledger.demo.plan import Plan
from ledger.refdata_assets import uscc_check_char


def plant_assets(
    plan: Plan,
    frame: pd.DataFrame,
    pick: Callable[[int], list[int]],
    rng: np.random.Generator,
    person: Callable[..., dict[str, Any]],
) -> None:
    """The asset lists: people beyond the county's [screening] limits, each with a near
    miss the limits let through (an exempt motorcycle, a parking space, a deregistered
    business, a sealed provident-fund account)."""

    def subjects(indexes: list[int], **detail: Any) -> list[dict[str, Any]]:
        return [person(frame, i, **detail) for i in indexes]

    def miss(kind: str, index: int, why: str) -> None:
        plan.near_misses.append({"kind": kind, "why": why, **person(frame, index)})

    def ids(indexes: list[int]) -> list[str]:
        return [str(frame.loc[i, "身份证号"]) for i in indexes]

    def names(indexes: list[int]) -> list[str]:
        return [str(frame.loc[i, "姓名"]) for i in indexes]

    cars = pick(ASSET_COUNTS["owns_vehicle"] + 1)
    plates = [f"冀A{int(n):05d}" for n in rng.choice(100_000, size=len(cars), replace=False)]
    plan.assets["vehicles"] = pd.DataFrame(
        {
            "身份证号": ids(cars),
            "姓名": names(cars),
            "号牌号码": plates,
            "车辆类型": ["小型轿车", "小型越野客车", "摩托车"],
            "车辆价值(元)": ["86000.00", "", "8000.00"],
            "初次登记日期": ["2021-04-18", "2019-09-02", "2020-06-30"],
            "状态": ["正常", "正常", "正常"],
        }
    )
    plan.add(
        "misappropriated",
        "owns_vehicle",
        "名下有车辆 / owns a vehicle",
        "on the vehicle list: a car worth 86,000.00 and one of no stated value "
        "(screening.vehicle_value_max 50,000.00)",
        subjects=subjects(cars[:-1]),
    )
    miss("owns_vehicle", cars[-1], "a motorcycle (an exempt vehicle type)")
    homes = pick(ASSET_COUNTS["property_beyond_limit"] + 1)
    owners = [homes[0], homes[0], homes[1], homes[2], homes[2]]
    plan.assets["property"] = pd.DataFrame(
        {
            "身份证号": ids(owners),
            "姓名": names(owners),
            "不动产权证号": [f"冀(2022)示范县不动产权第{n:07d}号" for n in range(101, 106)],
            "坐落": ["城关镇东街3号", "城关镇西街8号", "河口乡河口村12号", "城关镇东街5号",
                   "城关镇东街5号地下"],
            "用途": ["住宅", "住宅", "住宅", "住宅", "车位"],
            "建筑面积(平方米)": ["62.30", "75.00", "168.50", "96.00", "12.00"],
        }
    )  # fmt: skip
    plan.add(
        "misappropriated",
        "property_beyond_limit",
        "房产超过标准 / property beyond the limit",
        "on the property list: two homes (screening.property_count_max 1), and one home "
        "of 168.50 m2 (screening.property_area_max 150)",
        subjects=subjects(homes[:-1]),
    )
    miss("property_beyond_limit", homes[-1], "one home and a parking space (an exempt use)")
    firms = pick(ASSET_COUNTS["registered_business"] + 1)
    codes = [body + uscc_check_char(body) for body in ("91130123MA0D3K7P1", "92130123MA0C1J2R5")]
    plan.assets["business"] = pd.DataFrame(
        {
            "身份证号": ids(firms),
            "姓名": names(firms),
            "统一社会信用代码": codes,
            "企业名称": ["示范县恒通商贸有限公司", "示范县河口乡便民小卖部"],
            "身份": ["法定代表人", "经营者"],
            "注册资本(万元)": ["50", "1"],
            "登记状态": ["存续", "注销"],
        }
    )
    plan.add(
        "misappropriated",
        "registered_business",
        "登记经营市场主体 / registered business",
        "法定代表人 of a company with 500,000.00 registered capital "
        "(screening.business_capital_max 100,000.00)",
        subjects=subjects(firms[:-1]),
    )
    miss("registered_business", firms[-1], "the business is deregistered (注销)")
    fund = pick(ASSET_COUNTS["provident_fund_deposits"] + 1)
    plan.assets["provident_fund"] = pd.DataFrame(
        {
            "身份证号": ids(fund),
            "姓名": names(fund),
            "缴存单位": ["示范县建筑安装有限公司", "示范县纺织厂"],
            "月缴存额(元)": ["420.00", "360.00"],
            "缴至年月": [month_of(plan.periods[0], -1), "2024-06"],
            "缴存状态": ["正常", "封存"],
        }
    )
    plan.add(
        "misappropriated",
        "provident_fund_deposits",
        "缴存住房公积金 / pays into a provident fund",
        "a current provident-fund account depositing 420.00 a month (a job with wages)",
        subjects=subjects(fund[:-1]),
    )
    miss("provident_fund_deposits", fund[-1], "the account is sealed (封存)")
