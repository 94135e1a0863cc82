"""county.toml ``[institutions.CODE]``: the care institutions (集中供养机构, such as the
county's 中心敬老院) whose residents' 特困 money is paid to the institution's account,
one bank line per institution (``ledger.institutions``, docs/ledger.md "集中供养
institutions").

Each institution names its township, the bank (a configured bank code), the account
number (8 to 32 digits) and its holder (the institution's name at the bank), and
optionally its unified social credit code (统一社会信用代码, 18 characters), which the
bank file carries in place of a person's ID number. Every bad key is one named problem.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

_CODE = re.compile(r"[A-Za-z0-9_]{1,32}")
_ACCOUNT = re.compile(r"\d{8,32}")
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_KEYS = ("name", "township", "bank", "account_number", "account_holder", "credit_code")


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    township: str
    bank: str
    account_number: str
    account_holder: str
    credit_code: str = ""


def parse_institutions(
    raw: Any, townships: Collection[str], banks: Collection[str], problems: list[str]
) -> dict[str, Institution]:
    """``[institutions.CODE]`` tables; one problem per bad key (``institutions.CODE.key``)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("institutions: must be a table of tables ([institutions.CODE])")
        return {}
    out: dict[str, Institution] = {}
    for code, item in raw.items():
        where = f"institutions.{code}"
        if not _CODE.fullmatch(code):
            problems.append(f"{where}: an institution code uses letters, digits and _ only")
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        for key in sorted(set(item) - set(_KEYS)):
            problems.append(f"{where}.{key}: unknown key (known: {', '.join(_KEYS)})")
        text = {key: _text(item, key, where, problems) for key in _KEYS[:5]}
        if text["township"] and text["township"] not in townships:
            problems.append(
                f"{where}.township: unknown township {text['township']!r} "
                f"(valid: {', '.join(sorted(townships))})"
            )
        if text["bank"] and text["bank"] not in banks:
            problems.append(
                f"{where}.bank: unknown bank {text['bank']!r} (valid: {', '.join(sorted(banks))})"
            )
        account = re.sub(r"[\s-]", "", text["account_number"])
        if text["account_number"] and not _ACCOUNT.fullmatch(account):
            problems.append(
                f"{where}.account_number: must be 8 to 32 digits, got {text['account_number']!r}"
            )
        if len(text["account_holder"]) > 64:
            problems.append(f"{where}.account_holder: longer than 64 characters")
        credit = item.get("credit_code", "")
        if not isinstance(credit, str) or (credit and not _CREDIT_CODE.fullmatch(credit)):
            problems.append(
                f"{where}.credit_code: must be the 18-character unified social credit code "
                f"(统一社会信用代码), got {credit!r}"
            )
            credit = ""
        out[code] = Institution(
            code,
            text["name"],
            text["township"],
            text["bank"],
            account,
            text["account_holder"],
            credit,
        )
    names: dict[str, str] = {}
    for institution in out.values():
        if institution.name in names:
            problems.append(
                f"institutions.{institution.code}.name: {institution.name!r} is also the name "
                f"of institutions.{names[institution.name]} (the roster may name either)"
            )
        names.setdefault(institution.name, institution.code)
    return out


def _text(item: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}.{key}: missing or empty")
        return ""
    return value.strip()
