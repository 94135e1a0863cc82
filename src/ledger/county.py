"""The county configuration: one TOML file the county edits (see county.example.toml).

It names the county, its townships and villages, the programs it pays (with their
monthly caps, whether they pay per household or per person, and which programs exclude
each other), the banks that pay them (CNAPS code, bank file profile), the pay day and the
thresholds the exception rules use. ``load_county`` reports every problem in one go, each
with the key that holds it.
"""

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from ledger.approval import ApprovalRules, parse_rules
from ledger.backpay import DEFAULT_WINDOW_MONTHS, parse_backpay
from ledger.county_fields import (
    CODE,
    DEFAULT_ALLOCATION_MAX_FEN,
    Disclosure,
    disclosure_of,
    field_code,
    field_list,
    field_table,
    field_text,
    limits_of,
    unique_names,
)
from ledger.errors import ValidationError
from ledger.funds_policy import FundsConfig, parse_funds
from ledger.institution_rules import Institution, parse_institutions
from ledger.journal import DEFAULT_FUTURE_DAYS
from ledger.kinds_rules import DeductionRules, Supplement, parse_deductions, parse_supplements
from ledger.money import parse_yuan
from ledger.oneoff_rules import OneoffRules, parse_oneoff
from ledger.oplog import LogSettings
from ledger.oplog import parse_settings as parse_log_settings
from ledger.screening_limits import Screening, parse_screening

DEFAULT_THRESHOLDS: dict[str, int] = {
    # withheld: an entitlement unpaid this many days after its period ended
    "unpaid_days": 30,
    # withheld: money at the bank (clearing) unresolved this many days after export
    "clearing_days": 7,
    # withheld: a failed payment neither re-issued nor cancelled after this many days
    "failed_followup_days": 30,
    # withheld: cash (备用金) handed out for payment without a signed receipt this many
    # days after export (W07)
    "cash_receipt_days": 15,
    # withheld: allocated funds untouched this many days
    "idle_funds_days": 90,
    # diverted: a bank account changed this many days or fewer before a payment
    "account_change_days": 30,
    # fluctuation: a township's count or amount changing more than this percent
    "fluctuation_percent": 20,
}


# Fund sources (资金来源) when the file names none: code -> Chinese name.
DEFAULT_SOURCES: dict[str, str] = {
    "central": "中央",
    "provincial": "省级",
    "municipal": "市级",
    "county": "县级",
}


@dataclass(frozen=True)
class Village:
    code: str
    name: str


@dataclass(frozen=True)
class Township:
    code: str
    name: str
    villages: tuple[Village, ...]


@dataclass(frozen=True)
class Program:
    code: str
    name_zh: str
    name_en: str
    monthly_cap_fen: int
    paid_per: str  # "household" or "person"
    excludes: tuple[str, ...]
    treasury_may_go_negative: bool
    special_account: str
    special_account_name: str
    special_account_bank: str
    min_age: int | None = None
    max_age: int | None = None
    # Who the bank pays (pay_to): "person", one instruction per entitlement to each
    # recipient's own card (按人补贴为补贴对象开卡); "household", one instruction per
    # household to the 户主's card for its members' total (按户补贴为户主开卡;
    # ledger.households). ``paid_per`` is the unit of the monthly cap, not this.
    pay_to: str = "person"


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    cnaps: str
    profile: str
    # cash = true: the townships' cash payment (现金发放, 备用金) for people without an
    # account, against a signed receipt list (docs/ledger.md "Cash payments").
    cash: bool = False


PAY_TO = ("person", "household")


@dataclass(frozen=True)
class County:
    code: str
    name: str
    townships: dict[str, Township]
    programs: dict[str, Program]
    banks: dict[str, Bank]
    pay_day: int
    thresholds: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    source_path: str = ""
    sources: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SOURCES))
    disclosure: Disclosure = field(default_factory=Disclosure)
    approval: ApprovalRules = field(default_factory=ApprovalRules)
    allocation_max_fen: int = DEFAULT_ALLOCATION_MAX_FEN
    future_days: int = DEFAULT_FUTURE_DAYS
    funds: FundsConfig = field(default_factory=FundsConfig)
    screening: Screening = field(default_factory=Screening)
    # [logging]: the operations log (ledger.oplog); None: no log.
    logging: LogSettings | None = None
    # [oneoff]: 临时救助 cases (ledger.oneoff_rules); None: the county records none.
    oneoff: OneoffRules | None = None
    # [backpay] window_months: how many months back a late enrolment is paid (0: none).
    backpay_window: int = DEFAULT_WINDOW_MONTHS
    # [[supplements]] 分类施保 and [deductions] 扣减 (ledger.kinds_rules).
    supplements: tuple[Supplement, ...] = ()
    deductions: DeductionRules = field(default_factory=DeductionRules)
    # [institutions.CODE] 集中供养 care institutions (ledger.institution_rules).
    institutions: dict[str, Institution] = field(default_factory=dict)

    @property
    def province_prefix(self) -> str:
        return self.code[:2]

    @property
    def cash_banks(self) -> frozenset[str]:
        """The codes of the ``cash = true`` banks (现金发放: payees without an account)."""
        return frozenset(b.code for b in self.banks.values() if b.cash)

    def village_codes(self, township: str) -> set[str]:
        return (
            {v.code for v in self.townships[township].villages}
            if township in self.townships
            else set()
        )


def unknown_code(what: str, code: str, known: Iterable[str]) -> str:
    """``unknown program 'dibao_rual' (did you mean 'dibao_rural'? valid: ...)``."""
    valid = sorted(known)
    close = difflib.get_close_matches(code, valid, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {what} {code!r} ({hint}valid: {', '.join(valid)})"


def example_path() -> Path:
    """The documented example configuration shipped with the package."""
    return Path(str(files("ledger").joinpath("county.example.toml")))


def load_county(path: str | Path) -> County:
    """Read and validate a county file; raise ``ValidationError`` listing every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise ValidationError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(f"{path}: not valid TOML: {error}") from None
    problems: list[str] = []
    county = _build(raw, problems)
    if problems or county is None:
        raise ValidationError(
            f"{path}: {len(problems)} problem(s) in the county configuration:", problems
        )
    return County(**{**county.__dict__, "source_path": str(path)})


def _build(raw: dict[str, Any], problems: list[str]) -> County | None:
    head = raw.get("county")
    if not isinstance(head, dict):
        problems.append("[county]: missing (code, name)")
        head = {}
    code = str(head.get("code", ""))
    if not re.fullmatch(r"\d{6}", code):
        problems.append(f"county.code: must be the 6-digit administrative code, got {code!r}")
    name = field_text(head, "name", "county.name", problems)

    townships: dict[str, Township] = {}
    for index, item in enumerate(field_list(raw, "townships", problems)):
        where = f"townships[{index}]"
        tcode = field_code(item, "code", f"{where}.code", problems)
        tname = field_text(item, "name", f"{where}.name", problems)
        villages = []
        for vindex, v in enumerate(item.get("villages", []) if isinstance(item, dict) else []):
            vwhere = f"{where}.villages[{vindex}]"
            villages.append(
                Village(
                    field_code(v, "code", f"{vwhere}.code", problems),
                    field_text(v, "name", f"{vwhere}.name", problems),
                )
            )
        if not villages:
            problems.append(f"{where}.villages: a township needs at least one village")
        if tcode in townships:
            problems.append(f"{where}.code: township {tcode!r} is listed twice")
        townships[tcode] = Township(tcode, tname, tuple(villages))
    if not townships:
        problems.append("townships: at least one township is needed")

    banks: dict[str, Bank] = {}
    for bcode, item in field_table(raw, "banks", problems).items():
        where = f"banks.{bcode}"
        if not CODE.fullmatch(bcode):
            problems.append(f"{where}: a bank code uses letters, digits and _ only")
        cash = item.get("cash", False) is True
        if not isinstance(item.get("cash", False), bool):
            problems.append(f"{where}.cash: must be true or false, got {item['cash']!r}")
        cnaps = str(item.get("cnaps", ""))
        if not (cash and not cnaps) and not re.fullmatch(r"\d{12}", cnaps):
            problems.append(f"{where}.cnaps: must be the 12-digit CNAPS bank code, got {cnaps!r}")
        profile = field_text(item, "profile", f"{where}.profile", problems)
        if cash and profile == "pain001":
            problems.append(f"{where}.profile: a cash payment is a list to sign, not pain001")
        banks[bcode] = Bank(
            bcode, field_text(item, "name", f"{where}.name", problems), cnaps, profile, cash
        )
    if not banks:
        problems.append("banks: at least one bank is needed")

    programs: dict[str, Program] = {}
    for pcode, item in field_table(raw, "programs", problems).items():
        where = f"programs.{pcode}"
        if not CODE.fullmatch(pcode):
            problems.append(f"{where}: a program code uses letters, digits and _ only")
        cap_text = str(item.get("monthly_cap", ""))
        try:
            cap = parse_yuan(cap_text)
            if cap <= 0:
                raise ValueError
        except ValueError:
            problems.append(
                f"{where}.monthly_cap: must be a positive yuan amount "
                f'such as "800.00", got {cap_text!r}'
            )
            cap = 0
        paid_per = str(item.get("paid_per", ""))
        if paid_per not in ("household", "person"):
            problems.append(f'{where}.paid_per: must be "household" or "person", got {paid_per!r}')
        pay_to = str(item.get("pay_to", "person"))
        if pay_to not in PAY_TO:
            problems.append(f'{where}.pay_to: must be "person" or "household", got {pay_to!r}')
        excludes = item.get("excludes", [])
        if not isinstance(excludes, list):
            problems.append(f"{where}.excludes: must be a list of program codes")
            excludes = []
        account_bank = str(item.get("special_account_bank", ""))
        min_age, max_age = item.get("min_age"), item.get("max_age")
        for key, value in (("min_age", min_age), ("max_age", max_age)):
            if value is not None and (not isinstance(value, int) or not 0 <= value <= 150):
                problems.append(f"{where}.{key}: must be a whole number of years")
        programs[pcode] = Program(
            code=pcode,
            name_zh=field_text(item, "name_zh", f"{where}.name_zh", problems),
            name_en=field_text(item, "name_en", f"{where}.name_en", problems),
            monthly_cap_fen=cap,
            paid_per=paid_per,
            excludes=tuple(str(e) for e in excludes),
            treasury_may_go_negative=bool(item.get("treasury_may_go_negative", False)),
            special_account=field_text(
                item, "special_account", f"{where}.special_account", problems
            ),
            special_account_name=field_text(
                item, "special_account_name", f"{where}.special_account_name", problems
            ),
            special_account_bank=account_bank,
            min_age=min_age if isinstance(min_age, int) else None,
            max_age=max_age if isinstance(max_age, int) else None,
            pay_to=pay_to,
        )
        if account_bank not in banks:
            problems.append(f"{where}.special_account_bank: unknown bank {account_bank!r}")
    for program in programs.values():
        for other in program.excludes:
            if other not in programs:
                problems.append(f"programs.{program.code}.excludes: unknown program {other!r}")
    if not programs:
        problems.append("programs: at least one program is needed")

    payment = raw.get("payment", {})
    pay_day = payment.get("pay_day", 10) if isinstance(payment, dict) else 10
    if not isinstance(pay_day, int) or not 1 <= pay_day <= 28:
        problems.append(f"payment.pay_day: must be a day from 1 to 28, got {pay_day!r}")
        pay_day = 10

    thresholds = dict(DEFAULT_THRESHOLDS)
    raw_thresholds = raw.get("thresholds", {})
    if not isinstance(raw_thresholds, dict):
        problems.append("thresholds: must be a table ([thresholds])")
        raw_thresholds = {}
    for key, value in raw_thresholds.items():
        if key not in DEFAULT_THRESHOLDS:
            problems.append(
                f"thresholds.{key}: unknown threshold (known: {', '.join(DEFAULT_THRESHOLDS)})"
            )
        elif not isinstance(value, int) or value < 0:
            problems.append(f"thresholds.{key}: must be a whole number >= 0, got {value!r}")
        else:
            thresholds[key] = value

    sources = dict(DEFAULT_SOURCES)
    raw_sources = raw.get("sources")
    if raw_sources is not None:
        if not isinstance(raw_sources, dict) or not raw_sources:
            problems.append('sources: must be a table of code = "name" ([sources])')
            raw_sources = {}
        else:
            sources = {}
        for key, value in raw_sources.items():
            if not CODE.fullmatch(key):
                problems.append(f"sources.{key}: a source code uses letters, digits and _ only")
            if not isinstance(value, str) or not value.strip():
                problems.append(f"sources.{key}: must be the source's Chinese name")
                continue
            sources[key] = value.strip()

    disclosure = disclosure_of(raw, problems)
    approval = parse_rules(raw.get("approval"), problems)
    allocation_max_fen, future_days = limits_of(raw, problems)
    funds = parse_funds(raw.get("funds"), sources, list(programs), problems)
    screening = parse_screening(raw.get("screening"), problems)
    log_settings = parse_log_settings(raw, problems)
    oneoff = parse_oneoff(raw.get("oneoff"), set(programs), problems)
    backpay_window = parse_backpay(raw.get("backpay"), problems)
    supplements = parse_supplements(raw.get("supplements"), set(programs), problems)
    deductions = parse_deductions(raw.get("deductions"), problems)
    institutions = parse_institutions(raw.get("institutions"), townships, banks, problems)

    unique_names(
        problems,
        [(f"townships[{i}].name", t.name) for i, t in enumerate(townships.values())],
        "township name",
    )
    for index, township in enumerate(townships.values()):
        unique_names(
            problems,
            [(f"townships[{index}].villages[{j}]", v.name) for j, v in enumerate(township.villages)]
            + [
                (f"townships[{index}].villages[{j}].code", v.code)
                for j, v in enumerate(township.villages)
            ],
            "village name or code",
        )
    unique_names(
        problems, [(f"programs.{p.code}.name_zh", p.name_zh) for p in programs.values()], "name_zh"
    )
    unique_names(problems, [(f"banks.{b.code}.name", b.name) for b in banks.values()], "bank name")
    return County(
        code,
        name,
        townships,
        programs,
        banks,
        pay_day,
        thresholds,
        "",
        sources,
        disclosure=disclosure,
        approval=approval,
        allocation_max_fen=allocation_max_fen,
        future_days=future_days,
        funds=funds,
        screening=screening,
        logging=log_settings,
        oneoff=oneoff,
        backpay_window=backpay_window,
        supplements=supplements,
        deductions=deductions,
        institutions=institutions,
    )
