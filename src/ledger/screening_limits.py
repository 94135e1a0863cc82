"""The county's limits for the asset lists (房子、车子、票子): ``[screening]`` in county.toml.

A recipient on the vehicle, property, business or provident-fund list is held at
``batch run`` (and found after payment) only beyond these limits. Amounts are yuan text
(``ledger.money.parse_yuan``), areas square metres with at most two decimals, kept as
whole square decimetres (1 ㎡ = 100 dm²) so that no float is ever involved.
"""

import re
from dataclasses import dataclass
from typing import Any

from ledger.county_fields import section
from ledger.money import parse_yuan

DEFAULT_VEHICLE_EXEMPT = ("摩托车", "残疾人机动轮椅车", "三轮汽车", "低速货车", "拖拉机")
DEFAULT_PROPERTY_EXEMPT = ("车位", "车库", "储藏室")


@dataclass(frozen=True)
class Screening:
    """Asset limits. A vehicle of an exempt type, a property of an exempt use and a
    registration or contribution that is no longer current never count."""

    # A current vehicle worth more than this (or of no stated value) holds.
    vehicle_value_max_fen: int = 50_000_00
    vehicle_exempt_types: tuple[str, ...] = DEFAULT_VEHICLE_EXEMPT
    # More current properties than this, or more building area in total, holds.
    property_count_max: int = 1
    property_area_max_dm2: int = 150_00
    property_exempt_usages: tuple[str, ...] = DEFAULT_PROPERTY_EXEMPT
    # A current business registration with more registered capital (or none stated) holds.
    business_capital_max_fen: int = 100_000_00
    # A current provident-fund account with a larger monthly deposit holds (0: any).
    provident_fund_monthly_max_fen: int = 0


DEFAULTS = Screening()

# Shown by the rule catalogue next to the threshold's name (docs/rules.md).
DEFAULT_TEXT = {
    "screening.vehicle_value_max": '"50000.00"',
    "screening.vehicle_exempt_types": ", ".join(DEFAULT_VEHICLE_EXEMPT),
    "screening.property_count_max": "1",
    "screening.property_area_max": '"150.00"',
    "screening.property_exempt_usages": ", ".join(DEFAULT_PROPERTY_EXEMPT),
    "screening.business_capital_max": '"100000.00"',
    "screening.provident_fund_monthly_max": '"0.00"',
}

_AREA = re.compile(r"([0-9]{1,9})(?:\.([0-9]{1,2}))?")


def parse_area(text: str) -> int:
    """Square metres as text ("86.5", "120.00") to whole square decimetres."""
    match = _AREA.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not an area in square metres with at most 2 decimals (e.g. 86.50)"
        )
    return int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))


def format_area(dm2: int) -> str:
    whole, part = divmod(int(dm2), 100)
    return f"{whole}.{part:02d}"


def parse_screening(raw: Any, problems: list[str]) -> Screening:
    """``[screening]`` of the county file; every problem named by its key."""
    known = sorted({key.split(".", 1)[1] for key in DEFAULT_TEXT})
    if section(raw, "screening", known, problems, word="setting") is None:
        return DEFAULTS

    def amount(key: str, default: int) -> int:
        if key not in raw:
            return default
        text = raw[key]
        try:
            if not isinstance(text, str):
                raise ValueError(f'write it as text, such as "50000.00", not {text!r}')
            return parse_yuan(text)
        except ValueError as error:
            problems.append(f"screening.{key}: not a yuan amount: {error}")
            return default

    def words(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = raw.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f'screening.{key}: must be a list of names such as ["摩托车"]')
            return default
        return tuple(v.strip() for v in value if v.strip())

    count = raw.get("property_count_max", DEFAULTS.property_count_max)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 99:
        problems.append(
            f"screening.property_count_max: must be a whole number from 0 to 99, got {count!r}"
        )
        count = DEFAULTS.property_count_max
    area = DEFAULTS.property_area_max_dm2
    if "property_area_max" in raw:
        text = raw["property_area_max"]
        try:
            if not isinstance(text, str):
                raise ValueError(f'write it as text, such as "150.00", not {text!r}')
            area = parse_area(text)
        except ValueError as error:
            problems.append(f"screening.property_area_max: {error}")
    return Screening(
        vehicle_value_max_fen=amount("vehicle_value_max", DEFAULTS.vehicle_value_max_fen),
        vehicle_exempt_types=words("vehicle_exempt_types", DEFAULTS.vehicle_exempt_types),
        property_count_max=count,
        property_area_max_dm2=area,
        property_exempt_usages=words("property_exempt_usages", DEFAULTS.property_exempt_usages),
        business_capital_max_fen=amount("business_capital_max", DEFAULTS.business_capital_max_fen),
        provident_fund_monthly_max_fen=amount(
            "provident_fund_monthly_max", DEFAULTS.provident_fund_monthly_max_fen
        ),
    )
