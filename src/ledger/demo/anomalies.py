"""Planted anomalies: every rule category of DESIGN §6, in known numbers, in a manifest.

``plan(...)`` picks disjoint people from the month-1 roster for each kind and says what
to do to them; ``apply_month(...)`` writes that into the roster of a month; the bank
(``ledger.demo.bank``) plays the planted return-file lines; the manifest
(``manifest.json`` in the demo directory) records per category and kind how many were
planted, which subjects, how, and which month. The findings rules (issue 6) must find
each of them; the demo compares planted with found when detection is wired in.

Two kinds cannot pass the roster import, because its validation refuses them: an
identity with a wrong check character or an impossible birth date, and an amount above
the program's cap. In the real world such enrolments come from before the validation
existed (an older system's records synchronised into the ledger); the demo inserts those
few rows directly (``insert_unvalidated``) and says so in the manifest
(``"inserted_directly": true``).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ledger import synth
from ledger.county import County
from ledger.db.bulk import executemany, fetch_all
from ledger.db.events import record_event
from ledger.db.schema import roster_imports
from ledger.demo.asset_anomalies import ASSET_COUNTS, plant_assets
from ledger.demo.county import COUNTY_CODE, OTHER_COUNTY_CODE, Roster, month_of
from ledger.errors import LedgerError
from ledger.identity import birth_date, id_check_char, mask

# How many of each kind are planted (categories and kinds follow DESIGN §6).
COUNTS = {
    "paid_after_death": 3,
    "paid_after_exit": 2,
    "duplicate_two_townships": 2,
    "duplicate_exclusive_programs": 2,
    "invalid_identity": 3,
    "public_employee": 2,
    "cadre_relative_unfiled": 3,
    "above_program_cap": 2,
    "age_inconsistent": 1,
    "holder_mismatch_be01": 3,
    "holder_differs_in_roster": 2,
    "shared_account": 2,  # groups of 3 recipients each
    "payee_is_staff_account": 2,
    "account_changed_before_payment": 4,
    "clearing_unresolved": 2,
    "failed_not_followed_up": 2,
    **ASSET_COUNTS,
}
# The findings rule (src/ledger/findings/) that must find each planted kind.
RULE_OF_KIND = {
    "paid_after_death": "M01",
    "paid_after_exit": "M02",
    "duplicate_two_townships": "M05",
    "duplicate_exclusive_programs": "M04",
    "invalid_identity": "M06",
    "above_program_cap": "M09",
    "age_inconsistent": "M10",
    "public_employee": "M07",
    "cadre_relative_unfiled": "M08",
    "holder_mismatch_be01": "D01",
    "holder_differs_in_roster": "D01",
    "shared_account": "D02",
    "payee_is_staff_account": "D03",
    "account_changed_before_payment": "D04",
    "tampered_amount": "D05",
    "tampered_account": "D05",
    "never_instructed": "D05",
    "clearing_unresolved": "W02",
    "failed_not_followed_up": "W03",
    "idle_funds": "W04",
    "township_jump": "F01",
    "owns_vehicle": "M11",
    "property_beyond_limit": "M12",
    "registered_business": "M13",
    "provident_fund_deposits": "M14",
}
# The screening at batch run (ledger.screening) holds these kinds' payments before they
# are paid: the hold reason that stops each one.
HOLD_OF_KIND = {
    "paid_after_death": "deceased",
    "duplicate_two_townships": "duplicate_id",
    "duplicate_exclusive_programs": "exclusive_program",
    "above_program_cap": "above_standard",
    "public_employee": "public_employee",
    "cadre_relative_unfiled": "cadre_relative",
    "shared_account": "shared_account",
    "owns_vehicle": "vehicle",
    "property_beyond_limit": "property",
    "registered_business": "business",
    "provident_fund_deposits": "provident_fund",
}
# Ordinary bank failures each month (not anomalies: they are followed up).
CLOSED_PER_MONTH = 2
FROZEN_PER_MONTH = 2
NEGLECTED_BANK = "RCC"  # month 1: its failures are never re-issued nor cancelled


@dataclass
class Planted:
    category: str
    kind: str
    title: str
    how: str
    subjects: list[dict[str, Any]] = field(default_factory=list)
    inserted_directly: bool = False
    month: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "kind": self.kind,
            "title": self.title,
            "count": len(self.subjects),
            "month": self.month,
            "inserted_directly": self.inserted_directly,
            "how": self.how,
            "subjects": self.subjects,
        }


@dataclass
class Plan:
    """Everything planted, plus what the bank and the roster do each month."""

    periods: list[str]
    planted: dict[str, Planted] = field(default_factory=dict)
    near_misses: list[dict[str, Any]] = field(default_factory=list)
    # Rows added to the roster file (duplicates, region outside county, adult orphan).
    extra_rows: pd.DataFrame | None = None
    # Rows the demo inserts directly (see module docstring).
    unvalidated: pd.DataFrame | None = None
    deaths: pd.DataFrame | None = None
    staff: pd.DataFrame | None = None
    cadres: pd.DataFrame | None = None
    # The asset lists (房子、车子、票子), by refdata kind.
    assets: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Bank behaviour: account number -> the holder name the bank has on file.
    bank_holders: dict[str, str] = field(default_factory=dict)
    # period -> accounts the bank reports closed / frozen / still processing.
    closed: dict[str, set[str]] = field(default_factory=dict)
    frozen: dict[str, set[str]] = field(default_factory=dict)
    pending: dict[str, set[str]] = field(default_factory=dict)
    # period -> [(kind, account, detail)] lines the bank's return tampers with.
    tampering: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    # Month-2 roster changes: exits (index -> exit date), account changes (index -> card).
    late_exits: dict[int, str] = field(default_factory=dict)
    account_changes: dict[int, str] = field(default_factory=dict)
    jump_township: str = "T05"
    idle_program: str = "disability"

    def add(self, category: str, kind: str, title: str, how: str, **extra: Any) -> Planted:
        item = Planted(category, kind, title, how, **extra)
        self.planted[kind] = item
        return item

    def manifest(self) -> dict[str, Any]:
        return {
            "periods": self.periods,
            "planted": [p.document() for p in self.planted.values()],
            "counts": {k: len(p.subjects) for k, p in self.planted.items()},
            "near_misses": self.near_misses,
        }


# Subject fields holding an ID or card number. manifest.json shows them masked (first 6
# and last 4), as every report does: the bank files are the only place for full numbers.
NUMBER_FIELDS = frozenset({"id_number", "account_number", "new_account", "reported_account"})


def masked(document: Any) -> Any:
    """``document`` (the manifest, or any part) with every ``NUMBER_FIELDS`` value masked."""
    if isinstance(document, dict):
        return {
            key: mask(value) if key in NUMBER_FIELDS and isinstance(value, str) else masked(value)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [masked(value) for value in document]
    return document


def _person(frame: pd.DataFrame, index: int, **detail: Any) -> dict[str, Any]:
    row = frame.loc[index]
    return {
        "type": "recipient",
        "id_number": str(row["身份证号"]),
        "name": str(row["姓名"]),
        "program": str(row["救助项目"]),
        "township": str(row["乡镇"]),
        "account_number": str(row["银行账号"]),
        **detail,
    }


def _day(period: str, day: int) -> str:
    return f"{period}-{day:02d}"


def make_plan(county: County, roster: Roster, periods: list[str], rng: np.random.Generator) -> Plan:
    """Choose the planted subjects (disjoint people) and record the manifest entries."""
    frame = roster.frame
    plan = Plan(periods)
    first, months = periods[0], len(periods)
    before = month_of(first, -1)
    order = iter(rng.permutation(len(frame)).tolist())
    township_of = {t.name: code for code, t in county.townships.items()}

    def pick(
        k: int, bank: str | None = None, not_bank: str | None = None, started_before: str = ""
    ) -> list[int]:
        out: list[int] = []
        skipped: list[int] = []
        while len(out) < k:
            i = next(order, None)
            if i is None:
                raise LedgerError(
                    f"a county of {len(frame)} recipients is too small to plant every kind "
                    "of anomaly; use --recipients 150 or more"
                )
            row = frame.loc[i]
            if (
                township_of[row["乡镇"]] == plan.jump_township  # keep its count clean
                or (bank and row["开户银行"] != bank)
                or (not_bank and row["开户银行"] == not_bank)
                or (started_before and row["起始月份"] >= started_before)
            ):
                skipped.append(i)
                continue
            out.append(i)
        return out

    def newcomer(adult_before: int | None = None) -> pd.DataFrame:
        """A row of someone new (fresh ID, name and card), shaped like a roster row."""
        row = frame.loc[pick(1)].copy()
        while True:
            number = str(synth.id_numbers(rng, 1, COUNTY_CODE)[0])
            if number not in set(frame["身份证号"]) and (
                adult_before is None or int(number[6:10]) < adult_before
            ):
                break
        row["身份证号"] = number
        row["姓名"] = synth.names(rng, 1, rare_rate=0.0)
        row["账户户名"] = row["姓名"]
        row["性别"] = "男" if int(number[16]) % 2 else "女"
        row["银行账号"] = synth.card_numbers(rng, row["开户银行"].to_numpy(dtype=object))
        return row

    # -- misappropriated ------------------------------------------------------------
    dead = pick(COUNTS["paid_after_death"])
    death_day = _day(before, 15)
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
        subjects=[_person(frame, i, death_date=death_day) for i in dead],
    )
    # Picked whatever the number of months, so that month 1 is the same for a seed.
    gone = pick(COUNTS["paid_after_exit"], started_before=before)
    changed = pick(COUNTS["account_changed_before_payment"])
    new_cards = [
        str(synth.card_numbers(rng, np.array([frame.loc[i, "开户银行"]], dtype=object))[0])
        for i in changed
    ]
    if months >= 2:
        exit_day = _day(before, 20)
        plan.late_exits = dict.fromkeys(gone, exit_day)
        plan.add(
            "misappropriated",
            "paid_after_exit",
            "退出后仍发放 / paid after exit",
            f"the month-2 roster reports their exit on {exit_day} (late): month 1 was paid "
            "after the exit",
            subjects=[_person(frame, i, exit_date=exit_day, paid_after=first) for i in gone],
            month=periods[1],
        )
    extra: list[pd.DataFrame] = []
    twins = pick(COUNTS["duplicate_two_townships"])
    rows = frame.loc[twins].copy()
    subjects = []
    for i, idx in enumerate(twins):
        here = township_of[str(frame.loc[idx, "乡镇"])]
        other = next(c for c in county.townships if c not in (here, plan.jump_township))
        tw = county.townships[other]
        rows.loc[idx, "乡镇"] = tw.name
        rows.loc[idx, "村"] = tw.villages[0].name
        rows.loc[idx, "救助项目"] = (
            "dibao_urban" if frame.loc[idx, "救助项目"] != "dibao_urban" else "dibao_rural"
        )
        rows.loc[idx, "户编号"] = f"D{COUNTY_CODE}{i:05d}"
        rows.loc[idx, "月发放金额(元)"] = "300.00"
        subjects.append(
            _person(frame, idx, second_township=other, second_program=rows.loc[idx, "救助项目"])
        )
    extra.append(rows)
    plan.add(
        "misappropriated",
        "duplicate_two_townships",
        "跨乡镇重复享受 / enrolled in two townships",
        "a second enrolment (another dibao program) in another township, same person",
        subjects=subjects,
    )
    pairs = pick(COUNTS["duplicate_exclusive_programs"])
    rows = frame.loc[pairs].copy()
    rows["救助项目"] = [
        "tekun" if frame.loc[i, "救助项目"] != "tekun" else "dibao_rural" for i in pairs
    ]
    rows["月发放金额(元)"] = "500.00"
    extra.append(rows)
    plan.add(
        "misappropriated",
        "duplicate_exclusive_programs",
        "互斥项目重复享受 / mutually exclusive programs",
        "enrolled in 特困 and 低保 at once (the import warns; it does not refuse)",
        subjects=[_person(frame, i, second_program=rows.loc[i, "救助项目"]) for i in pairs],
    )
    # invalid identity: one through the file (valid ID of another county), two directly.
    outsider = newcomer()
    other_id = str(synth.id_numbers(rng, 1, OTHER_COUNTY_CODE)[0])
    outsider["身份证号"] = other_id
    outsider["性别"] = "男" if int(other_id[16]) % 2 else "女"
    outsider["户编号"] = f"X{COUNTY_CODE}00001"
    extra.append(outsider)
    legacy = frame.loc[pick(4)].copy().reset_index(drop=True)
    ids = list(legacy["身份证号"])
    bad_check = ids[0][:17] + ("0" if ids[0][17] != "0" else "1")
    body = COUNTY_CODE + "19990231" + "123"
    bad_birth = body + id_check_char(body)
    legacy.loc[0, "身份证号"] = bad_check
    legacy.loc[1, "身份证号"] = bad_birth
    for j in (2, 3):
        program = str(legacy.loc[j, "救助项目"])
        cap = county.programs[program].monthly_cap_fen
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
        return _person(legacy, j, **detail)

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
                **_person(outsider.reset_index(drop=True), 0),
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
                cap=county.programs[str(legacy.loc[j, "救助项目"])].monthly_cap_fen,
                amount_fen=int(str(legacy.loc[j, "月发放金额(元)"]).replace(".", "")),
            )
            for j in (2, 3)
        ],
        inserted_directly=True,
    )
    adult = newcomer(adult_before=int(first[:4]) - 25)
    adult["救助项目"] = "orphan"
    adult["月发放金额(元)"] = "1000.00"
    adult["户编号"] = f"O{COUNTY_CODE}00001"
    extra.append(adult)
    idx = adult.index[0]
    plan.add(
        "misappropriated",
        "age_inconsistent",
        "年龄与项目不符 / age inconsistent with program",
        "an adult (born " + str(birth_date(str(adult.loc[idx, "身份证号"]))) + ") enrolled in "
        "孤儿基本生活费 (max_age 18)",
        subjects=[_person(adult, idx)],
    )
    employees = pick(COUNTS["public_employee"])
    staff_rows: list[tuple[Any, ...]] = [
        (frame.loc[i, "身份证号"], frame.loc[i, "姓名"], "示范县水利局", "") for i in employees
    ]
    plan.add(
        "misappropriated",
        "public_employee",
        "财政供养人员享受低保 / public employee",
        "on the staff (财政供养) list",
        subjects=[_person(frame, i, employer="示范县水利局") for i in employees],
    )
    relatives = pick(COUNTS["cadre_relative_unfiled"] + 1)
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
    plan.cadres = pd.DataFrame(
        cadre_rows,
        columns=[
            "干部身份证号",
            "干部姓名",
            "工作单位",
            "职务",
            "亲属身份证号",
            "亲属姓名",
            "关系",
            "是否备案",
        ],
    )
    plan.add(
        "misappropriated",
        "cadre_relative_unfiled",
        "干部近亲属未备案 / cadre relative not filed",
        "near relative of a cadre on the cadre list, 是否备案 = 否",
        subjects=[
            _person(frame, i, cadre_name=cadre_names[k]) for k, i in enumerate(relatives[:-1])
        ],
    )
    plan.near_misses.append(
        {
            "kind": "cadre_relative_unfiled",
            "why": "the relation is filed (是否备案 = 是)",
            **_person(frame, relatives[-1]),
        }
    )

    # -- diverted -------------------------------------------------------------------
    be01 = pick(COUNTS["holder_mismatch_be01"], not_bank=NEGLECTED_BANK)
    other_names = synth.names(rng, len(be01), rare_rate=0.0)
    for k, i in enumerate(be01):
        plan.bank_holders[str(frame.loc[i, "银行账号"])] = str(other_names[k])
    plan.add(
        "diverted",
        "holder_mismatch_be01",
        "户名不符 (BE01) / account holder is not the recipient",
        "the bank has another holder on file for the card: every payment fails 户名不符",
        subjects=[_person(frame, i, bank_holder=str(other_names[k])) for k, i in enumerate(be01)],
    )
    differs = pick(COUNTS["holder_differs_in_roster"])
    holder_names = synth.names(rng, len(differs), rare_rate=0.0)
    for k, i in enumerate(differs):
        frame.loc[i, "账户户名"] = holder_names[k]
        plan.bank_holders[str(frame.loc[i, "银行账号"])] = str(holder_names[k])
    plan.add(
        "diverted",
        "holder_differs_in_roster",
        "代领: 账户户名与本人不符 / holder differs",
        "the roster's 账户户名 names someone else (the import warns); the bank pays",
        subjects=[
            _person(frame, i, account_holder=str(holder_names[k])) for k, i in enumerate(differs)
        ],
    )
    subjects = []
    for g in range(COUNTS["shared_account"]):
        group = pick(3, not_bank=NEGLECTED_BANK)
        owner = group[0]
        for i in group[1:]:
            frame.at[i, "银行账号"] = str(frame.at[owner, "银行账号"])
            frame.at[i, "开户银行"] = str(frame.at[owner, "开户银行"])
        subjects += [_person(frame, i, group=g + 1) for i in group]
    plan.add(
        "diverted",
        "shared_account",
        "多人一卡 / one account for unrelated recipients",
        "groups of 3 recipients of different households paid to one card",
        subjects=subjects,
    )
    staff_cards = pick(COUNTS["payee_is_staff_account"])
    staff_ids = synth.id_numbers(rng, len(staff_cards) + 1, COUNTY_CODE)
    staff_names = synth.names(rng, len(staff_cards) + 1, rare_rate=0.0)
    for k, i in enumerate(staff_cards):
        staff_rows.append((staff_ids[k], staff_names[k], "示范县民政局", frame.loc[i, "银行账号"]))
    diverted_card = str(synth.card_numbers(rng, np.array(["ICBC"], dtype=object))[0])
    staff_rows.append((staff_ids[-1], staff_names[-1], "示范县财政局", diverted_card))
    plan.staff = pd.DataFrame(staff_rows, columns=["身份证号", "姓名", "工作单位", "银行账号"])
    plan.add(
        "diverted",
        "payee_is_staff_account",
        "收款账户属于工作人员 / payee account is staff's",
        "the recipient's card is a staff member's salary account (staff list)",
        subjects=[
            _person(frame, i, staff_name=str(staff_names[k])) for k, i in enumerate(staff_cards)
        ],
    )
    if months >= 2:
        plan.account_changes = dict(zip(changed, new_cards, strict=True))
        plan.add(
            "diverted",
            "account_changed_before_payment",
            "发放前变更账户 / account changed",
            "the month-2 roster gives a new card, days before the payment",
            subjects=[_person(frame, i, new_account=plan.account_changes[i]) for i in changed],
            month=periods[1],
        )
    icbc = pick(3, bank="ICBC")
    tampered_card = str(synth.card_numbers(rng, np.array(["ICBC"], dtype=object))[0])
    plan.tampering[first] = [
        ("amount", str(frame.loc[icbc[0], "银行账号"]), "-100.00"),
        ("account", str(frame.loc[icbc[1], "银行账号"]), tampered_card),
        ("never_instructed", diverted_card, "800.00"),
    ]
    plan.add(
        "diverted",
        "tampered_amount",
        "回盘金额被篡改 / return line with another amount",
        "the ICBC return of month 1 reports the payment 100.00 lower than instructed (成功): "
        "also 'paid less than entitled'",
        subjects=[_person(frame, icbc[0], bank="ICBC")],
        month=first,
    )
    plan.add(
        "diverted",
        "tampered_account",
        "回盘账号被篡改 / return line to another account",
        f"the ICBC return of month 1 reports the payment to card {mask(tampered_card)} (成功)",
        subjects=[_person(frame, icbc[1], reported_account=tampered_card)],
        month=first,
    )
    plan.add(
        "diverted",
        "never_instructed",
        "未指令的付款 / payment we never instructed",
        "an extra 成功 line in the ICBC return of month 1: 800.00 to a finance-bureau "
        "staff member's card, with a 业务流水号 we never issued",
        subjects=[
            {
                "type": "account",
                "account_number": diverted_card,
                "amount_fen": 80000,
                "staff_name": str(staff_names[-1]),
            }
        ],
        month=first,
    )
    # -- withheld ---------------------------------------------------------------------
    stuck = pick(COUNTS["clearing_unresolved"], bank="ICBC")
    plan.pending[first] = {str(frame.loc[i, "银行账号"]) for i in stuck}
    plan.add(
        "withheld",
        "clearing_unresolved",
        "资金滞留银行 / clearing unresolved",
        "the ICBC return of month 1 says 处理中 and nothing resolves it: money stays in "
        "BankClearing (also 'unpaid after N days')",
        subjects=[_person(frame, i) for i in stuck],
        month=first,
    )
    neglected = pick(COUNTS["failed_not_followed_up"], bank=NEGLECTED_BANK)
    plan.add(
        "withheld",
        "failed_not_followed_up",
        "失败未处理 / failed payment not followed up",
        f"{NEGLECTED_BANK} failures of month 1 (closed, frozen) never re-issued or cancelled",
        subjects=[_person(frame, i) for i in neglected],
        month=first,
    )
    plan.add(
        "withheld",
        "idle_funds",
        "资金闲置 / idle treasury funds",
        f"an allocation to {plan.idle_program} dated 120 days before month 1, never used",
        subjects=[{"type": "program", "program": plan.idle_program}],
    )
    if months >= 2:
        plan.add(
            "fluctuation",
            "township_jump",
            "大起大落 / township roster jumps",
            f"{plan.jump_township}: 50% more recipients in month 2",
            subjects=[{"type": "township", "township": plan.jump_township, "period": periods[1]}],
            month=periods[1],
        )
    plant_assets(plan, frame, pick, rng, _person)
    # -- ordinary failures (followed up; not anomalies) --------------------------------
    for k, period in enumerate(periods):
        closed = {str(frame.loc[i, "银行账号"]) for i in pick(CLOSED_PER_MONTH, not_bank="RCC")}
        frozen = {str(frame.loc[i, "银行账号"]) for i in pick(FROZEN_PER_MONTH, not_bank="RCC")}
        if k == 0:
            closed.add(str(frame.loc[neglected[0], "银行账号"]))
            frozen.update(str(frame.loc[i, "银行账号"]) for i in neglected[1:])
        plan.closed[period], plan.frozen[period] = closed, frozen
    plan.extra_rows = pd.concat(extra)
    return plan


def apply_month(
    county: County, roster: Roster, plan: Plan, k: int, rng: np.random.Generator
) -> pd.DataFrame:
    """The roster file for month ``k`` (0-based): the base roster, the planted rows, and
    from month 2 on the changes: late exits, new cards, the jumping township (month 2),
    and a little ordinary churn (newcomers and amount changes, 1% each, month 3 on)."""
    period = plan.periods[k]
    if k == 1:
        tw = county.townships[plan.jump_township]
        size = int((roster.frame["乡镇"] == tw.name).sum())
        jump = new_people_frame(county, roster, size // 2 + 1, rng, period, plan.jump_township)
        roster.frame = pd.concat([roster.frame, jump], ignore_index=True)
    elif k >= 2:
        n = max(1, len(roster.frame) // 100)
        protected = set(plan.late_exits) | set(plan.account_changes)
        candidates = [i for i in roster.frame.index if i not in protected]
        changed = rng.choice(candidates, size=n, replace=False)
        fen = roster.frame.loc[changed, "月发放金额(元)"].str.replace(".", "").astype("int64")
        roster.frame.loc[changed, "月发放金额(元)"] = [
            f"{v // 100}.{v % 100:02d}" for v in np.maximum(fen - 5000, 10000)
        ]
        for code in county.townships:
            if code != plan.jump_township:
                more = new_people_frame(county, roster, max(1, n // 6), rng, period, code)
                roster.frame = pd.concat([roster.frame, more], ignore_index=True)
    frame = pd.concat([roster.frame, plan.extra_rows])
    if k >= 1:
        for i, day in plan.late_exits.items():
            frame.loc[i, "状态"] = "退出"
            frame.loc[i, "退出日期"] = day
            frame.loc[i, "终止月份"] = day[:7]
        for i, card in plan.account_changes.items():
            frame.loc[i, "银行账号"] = card
    return frame.reset_index(drop=True)


def new_people_frame(
    county: County,
    roster: Roster,
    n: int,
    rng: np.random.Generator,
    period: str,
    township: str,
) -> pd.DataFrame:
    from ledger.demo.county import new_people

    known = set(roster.frame["身份证号"])
    template = roster.frame[roster.frame["开户银行"] != "RCC"]
    return new_people(county, template, n, rng, period, known, township)


def insert_unvalidated(
    connection: sa.Connection, rows: pd.DataFrame, county: County, *, operator: str, month: str
) -> int:
    """Make the enrolments of ``rows`` current, bypassing the import's validation.

    Stands for records synchronised from an older system that never checked them. A
    person missing from ``recipients`` is added with the next key; a current version
    that differs (e.g. exited by a roster import that did not list them) is closed and
    an active version inserted, as an import would. Returns the import id used.

    A handful of rows (four in the demo), so one statement per row is fine here; it is
    not a bulk path."""
    now = datetime.now(UTC)
    digest = sha256(f"unvalidated:{month}:{now.isoformat()}".encode()).hexdigest()
    import_id = int(
        connection.execute(
            roster_imports.insert()
            .values(
                file_name=f"(legacy records, entered before validation) {month}",
                file_sha256=digest,
                row_count=len(rows),
                operator=operator,
                imported_at=now,
            )
            .returning(roster_imports.c.id)
        ).scalar_one()
    )
    township_of = {t.name: code for code, t in county.townships.items()}
    village_of = {
        (code, v.name): v.code for code, t in county.townships.items() for v in t.villages
    }
    integer = "BIGINT" if connection.dialect.name == "postgresql" else "INTEGER"
    next_number = 1 + int(
        fetch_all(
            connection,
            f"SELECT COALESCE(MAX(CAST(SUBSTR(key, 2) AS {integer})), 0) FROM recipients",
        )[0][0]
    )
    for row in rows.to_dict("records"):
        found = fetch_all(
            connection, "SELECT id FROM recipients WHERE id_number = ?", (row["身份证号"],)
        )
        if found:
            recipient_id = int(found[0][0])
        else:
            executemany(
                connection,
                "INSERT INTO recipients (key, id_number, name, sex, birth_date, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        f"R{next_number:07d}",
                        row["身份证号"],
                        row["姓名"],
                        "M" if int(row["身份证号"][16]) % 2 else "F",
                        birth_date(row["身份证号"]),
                        now,
                    )
                ],
            )
            next_number += 1
            recipient_id = int(
                fetch_all(
                    connection, "SELECT id FROM recipients WHERE id_number = ?", (row["身份证号"],)
                )[0][0]
            )
        program = row["救助项目"]
        current = fetch_all(
            connection,
            "SELECT id, status FROM enrolments WHERE recipient_id = ? AND program = ? "
            "AND valid_to_import IS NULL",
            (recipient_id, program),
        )
        if current and current[0][1] == "active":
            continue
        if current:
            executemany(
                connection,
                "UPDATE enrolments SET valid_to_import = ? WHERE id = ?",
                [(import_id, current[0][0])],
            )
        township = township_of[row["乡镇"]]
        fen = int(str(row["月发放金额(元)"]).replace(".", ""))
        executemany(
            connection,
            "INSERT INTO enrolments (recipient_id, program, township, village, household_id, "
            "household_size, amount_fen, bank, account_number, account_holder, start_month, "
            "end_month, exit_date, status, valid_from_import) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 'active', ?)",
            [
                (
                    recipient_id,
                    program,
                    township,
                    village_of[(township, row["村"])],
                    row["户编号"],
                    int(row["家庭人口"]),
                    fen,
                    row["开户银行"],
                    row["银行账号"],
                    row["账户户名"],
                    row["起始月份"],
                    import_id,
                )
            ],
        )
    record_event(
        connection,
        operator=operator,
        action="roster.unvalidated_records",
        subject_type="roster_import",
        subject_id=import_id,
        detail={
            "month": month,
            "rows": len(rows),
            "note": "demo: legacy records entered before validation existed",
        },
    )
    return import_id
