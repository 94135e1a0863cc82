"""Planted misappropriation (DESIGN §6, 骗取): people paid who should not be.

Deceased and late exits, enrolments twice (two townships, programs that exclude each
other), invalid identities and amounts above the cap (partly inserted directly: the
import refuses them, see ``ledger.demo.anomalies``), an adult orphan, public employees
and cadres' relatives. The asset cases are in ``ledger.demo.plants.assets``.
"""

from typing import Any

import numpy as np
import pandas as pd

from ledger import refdata, synth
from ledger.demo.catalogue import COUNTS
from ledger.demo.county import COUNTY_CODE, OTHER_COUNTY_CODE
from ledger.demo.plan import Planting, day, person
from ledger.identity import birth_date, id_check_char


def plant(p: Planting) -> tuple[list[int], list[str]]:
    """Every misappropriated kind, in order; returns the people picked here for the
    diverted kind "account changed before payment", and their new cards."""
    reserved = plant_deceased_and_exited(p)
    plant_duplicates(p)
    plant_identity_and_cap(p)
    plant_age(p)
    plant_staff_and_cadres(p)
    return reserved


def plant_deceased_and_exited(p: Planting) -> tuple[list[int], list[str]]:
    """On the death list and still paid; exits the month-2 roster reports late."""
    frame, plan, rng = p.frame, p.plan, p.rng
    dead = p.pick(COUNTS["paid_after_death"])
    death_day = day(p.before, 15)
    plan.deaths = pd.DataFrame(
        {
            "身份证号": frame.loc[dead, "身份证号"].to_numpy(),
            "姓名": frame.loc[dead, "姓名"].to_numpy(),
            "死亡日期": death_day,
            "数据来源": "公安",
        }
    )
    plan.add(
        "misappropriated",
        "paid_after_death",
        "死亡后仍发放 / paid for a period after death",
        f"on the death list (died {death_day}), still on the roster every month",
        subjects=[person(frame, i, death_date=death_day) for i in dead],
    )
    # Picked whatever the number of months, so that month 1 is the same for a seed.
    gone = p.pick(COUNTS["paid_after_exit"], started_before=p.before)
    changed = p.pick(COUNTS["account_changed_before_payment"])
    new_cards = [
        str(synth.card_numbers(rng, np.array([frame.loc[i, "开户银行"]], dtype=object))[0])
        for i in changed
    ]
    if p.months >= 2:
        exit_day = day(p.before, 20)
        plan.late_exits = dict.fromkeys(gone, exit_day)
        plan.add(
            "misappropriated",
            "paid_after_exit",
            "退出后仍发放 / paid after exit",
            f"the month-2 roster reports their exit on {exit_day} (late): month 1 was paid "
            "after the exit",
            subjects=[person(frame, i, exit_date=exit_day, paid_after=p.first) for i in gone],
            month=plan.periods[1],
        )
    return changed, new_cards


def plant_duplicates(p: Planting) -> None:
    """A second enrolment in another township; programs that exclude each other."""
    frame, plan = p.frame, p.plan
    twins = p.pick(COUNTS["duplicate_two_townships"])
    rows = frame.loc[twins].copy()
    subjects = []
    for i, idx in enumerate(twins):
        here = p.township_of[str(frame.loc[idx, "乡镇"])]
        other = next(c for c in p.county.townships if c not in (here, plan.jump_township))
        tw = p.county.townships[other]
        rows.loc[idx, "乡镇"] = tw.name
        rows.loc[idx, "村"] = tw.villages[0].name
        rows.loc[idx, "救助项目"] = (
            "dibao_urban" if frame.loc[idx, "救助项目"] != "dibao_urban" else "dibao_rural"
        )
        rows.loc[idx, "户编号"] = f"D{COUNTY_CODE}{i:05d}"
        rows.loc[idx, "月发放金额(元)"] = "300.00"
        subjects.append(
            person(frame, idx, second_township=other, second_program=rows.loc[idx, "救助项目"])
        )
    p.extra.append(rows)
    plan.add(
        "misappropriated",
        "duplicate_two_townships",
        "跨乡镇重复享受 / enrolled in two townships",
        "a second enrolment (another dibao program) in another township, same person",
        subjects=subjects,
    )
    pairs = p.pick(COUNTS["duplicate_exclusive_programs"])
    rows = frame.loc[pairs].copy()
    rows["救助项目"] = [
        "tekun" if frame.loc[i, "救助项目"] != "tekun" else "dibao_rural" for i in pairs
    ]
    rows["月发放金额(元)"] = "500.00"
    p.extra.append(rows)
    plan.add(
        "misappropriated",
        "duplicate_exclusive_programs",
        "互斥项目重复享受 / mutually exclusive programs",
        "enrolled in 特困 and 低保 at once (the import warns; it does not refuse)",
        subjects=[person(frame, i, second_program=rows.loc[i, "救助项目"]) for i in pairs],
    )


def plant_identity_and_cap(p: Planting) -> None:
    """Invalid identities (one through the file, two inserted directly) and amounts
    above the program cap (inserted directly)."""
    frame, plan, rng = p.frame, p.plan, p.rng
    # invalid identity: one through the file (valid ID of another county), two directly.
    outsider = p.newcomer()
    other_id = str(synth.id_numbers(rng, 1, OTHER_COUNTY_CODE)[0])
    outsider["身份证号"] = other_id
    outsider["性别"] = "男" if int(other_id[16]) % 2 else "女"
    outsider["户编号"] = f"X{COUNTY_CODE}00001"
    p.extra.append(outsider)
    legacy = frame.loc[p.pick(4)].copy().reset_index(drop=True)
    ids = list(legacy["身份证号"])
    bad_check = ids[0][:17] + ("0" if ids[0][17] != "0" else "1")
    body = COUNTY_CODE + "19990231" + "123"
    bad_birth = body + id_check_char(body)
    legacy.loc[0, "身份证号"] = bad_check
    legacy.loc[1, "身份证号"] = bad_birth
    for j in (2, 3):
        program = str(legacy.loc[j, "救助项目"])
        cap = p.county.programs[program].monthly_cap_fen
        above = cap + 20000 * (j - 1)
        legacy.loc[j, "月发放金额(元)"] = f"{above // 100}.{above % 100:02d}"
    legacy["姓名"] = synth.names(rng, 4, rare_rate=0.0)
    legacy["账户户名"] = legacy["姓名"]
    legacy["户编号"] = [f"L{COUNTY_CODE}{j:05d}" for j in range(4)]
    fresh = synth.id_numbers(rng, 2, COUNTY_CODE)
    legacy.loc[2, "身份证号"], legacy.loc[3, "身份证号"] = fresh[0], fresh[1]
    legacy["银行账号"] = synth.card_numbers(rng, legacy["开户银行"].to_numpy(dtype=object))
    plan.unvalidated = legacy

    def legacy_subject(j: int, **detail: Any) -> dict[str, Any]:
        return person(legacy, j, **detail)

    plan.add(
        "misappropriated",
        "invalid_identity",
        "身份信息无效 / invalid identity",
        "a wrong check character and an impossible birth date (1999-02-31): inserted "
        "directly, the import refuses them; an ID of another county (130124): through the "
        "file, the import accepts it (same province)",
        subjects=[
            legacy_subject(0, problem="check character", inserted_directly=True),
            legacy_subject(1, problem="impossible birth date", inserted_directly=True),
            {
                **person(outsider.reset_index(drop=True), 0),
                "problem": "region outside county",
                "inserted_directly": False,
            },
        ],
        inserted_directly=True,
    )
    plan.add(
        "misappropriated",
        "above_program_cap",
        "超标准发放 / above the program standard",
        "monthly amount above the program's monthly_cap: inserted directly (the import refuses it)",
        subjects=[
            legacy_subject(
                j,
                cap=p.county.programs[str(legacy.loc[j, "救助项目"])].monthly_cap_fen,
                amount_fen=int(str(legacy.loc[j, "月发放金额(元)"]).replace(".", "")),
            )
            for j in (2, 3)
        ],
        inserted_directly=True,
    )


def plant_age(p: Planting) -> None:
    """An adult enrolled as an orphan."""
    plan = p.plan
    adult = p.newcomer(adult_before=int(p.first[:4]) - 25)
    adult["救助项目"] = "orphan"
    adult["月发放金额(元)"] = "1000.00"
    adult["户编号"] = f"O{COUNTY_CODE}00001"
    p.extra.append(adult)
    idx = adult.index[0]
    plan.add(
        "misappropriated",
        "age_inconsistent",
        "年龄与项目不符 / age inconsistent with program",
        "an adult (born " + str(birth_date(str(adult.loc[idx, "身份证号"]))) + ") enrolled in "
        "孤儿基本生活费 (max_age 18)",
        subjects=[person(adult, idx)],
    )


def plant_staff_and_cadres(p: Planting) -> None:
    """Public employees (the staff list) and cadres' near relatives not filed."""
    frame, plan, rng = p.frame, p.plan, p.rng
    employees = p.pick(COUNTS["public_employee"])
    p.staff_rows.extend(
        (frame.loc[i, "身份证号"], frame.loc[i, "姓名"], "示范县水利局", "") for i in employees
    )
    plan.add(
        "misappropriated",
        "public_employee",
        "财政供养人员享受低保 / public employee",
        "on the staff (财政供养) list",
        subjects=[person(frame, i, employer="示范县水利局") for i in employees],
    )
    relatives = p.pick(COUNTS["cadre_relative_unfiled"] + 1)
    cadre_ids = synth.id_numbers(rng, len(relatives), COUNTY_CODE)
    cadre_names = synth.names(rng, len(relatives), rare_rate=0.0)
    cadre_rows = []
    for k, i in enumerate(relatives):
        filed = "是" if k == len(relatives) - 1 else "否"
        cadre_rows.append(
            (
                cadre_ids[k],
                cadre_names[k],
                "示范县民政局",
                "科员",
                frame.loc[i, "身份证号"],
                frame.loc[i, "姓名"],
                "父母",
                filed,
            )
        )
    plan.cadres = pd.DataFrame(cadre_rows, columns=refdata.headers("cadres"))
    plan.add(
        "misappropriated",
        "cadre_relative_unfiled",
        "干部近亲属未备案 / cadre relative not filed",
        "near relative of a cadre on the cadre list, 是否备案 = 否",
        subjects=[
            person(frame, i, cadre_name=cadre_names[k]) for k, i in enumerate(relatives[:-1])
        ],
    )
    plan.near_misses.append(
        {
            "kind": "cadre_relative_unfiled",
            "why": "the relation is filed (是否备案 = 是)",
            **person(frame, relatives[-1]),
        }
    )
