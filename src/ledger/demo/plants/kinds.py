"""Kinds of money besides the monthly allowance (issue 18), shown by the demo: 分类施保
supplements for the people a categories list names, 补发 back pay for one enrolment
approved late, and 集中供养: 特困 residents of the county's care institution, paid to
its account in one line. They are not anomalies: the approval sheets, the statements and the
summary show them; the findings must not take them for anomalies."""

import pandas as pd

from ledger.demo.plan import Planting

# How many people the categories list names per category (county.toml [[supplements]]:
# severe_disability for the two 低保 programs, aged_80 for them and 特困).
CATEGORY_PEOPLE = 4
LOW_INCOME = ("dibao_urban", "dibao_rural")
LATE_INDEX = 900_000  # the late enrolment's row label, apart from the roster's
INSTITUTION = "JLY01"  # the demo county's care institution (示范县中心敬老院, at ICBC)
RESIDENTS = 3


def plant(p: Planting) -> None:
    """Pick the categories list's people and the late enrolment (a newcomer approved in
    month 2 from month 1: month 2's batch pays month 1 as back pay)."""
    frame, plan = p.frame, p.plan
    rows = []
    for k, i in enumerate(p.pick(CATEGORY_PEOPLE)):
        program = str(frame.loc[i, "救助项目"])
        disabled = k % 2 == 0 and program in LOW_INCOME
        category = "severe_disability" if disabled else "aged_80"
        rows.append((str(frame.loc[i, "身份证号"]), program, category))
    plan.categories = pd.DataFrame(rows, columns=["身份证号", "救助项目", "类别"])
    residents = p.pick(RESIDENTS, bank="ICBC")
    frame["供养机构"] = ""
    frame.loc[residents, "救助项目"] = "tekun"
    frame.loc[residents, "供养机构"] = INSTITUTION
    if p.months < 2:
        return
    late = p.newcomer()
    late["起始月份"] = p.first
    late["户编号"] = f"HLATE{late['身份证号'].iloc[0][-6:]}"
    late["家庭人口"] = "1"
    late.index = pd.RangeIndex(LATE_INDEX, LATE_INDEX + len(late))
    plan.late_rows = late
