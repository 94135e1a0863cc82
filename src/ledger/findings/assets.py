"""Misappropriated funds, part three: recipients whose assets the audits check (房子、车子、
票子): M11 a vehicle, M12 property, M13 a registered business, M14 provident-fund
deposits, each beyond the county's ``[screening]`` limits on the latest list. The same
conditions hold such payments at ``batch run`` (``ledger.db.asset_matches``); these rules
find the payments made before a list arrived, or released from a hold.
"""

from typing import Any

import pandas as pd

from ledger.db import asset_matches as asset
from ledger.findings.base import Context, Rule, empty
from ledger.findings.blocks import (
    PAYMENT_COLUMNS,
    PAYMENT_SELECT,
    per_recipient,
    period_payments,
    reference_evidence,
)
from ledger.money import format_yuan
from ledger.screening_limits import format_area

_COLUMNS = PAYMENT_COLUMNS


def _first_match(ctx: Context, select: str, join: str, columns: list[str]) -> pd.DataFrame:
    """The period's payments joined to their list rows; one row per payment (the first
    list row, by file line)."""
    rows = ctx.frame(
        period_payments(f"{PAYMENT_SELECT}, {select}", join), (ctx.period,), [*_COLUMNS, *columns]
    )
    return rows.sort_values(["instruction_id", "row_no"]).drop_duplicates(
        ["instruction_id", "recipient_id"]
    )


def _yuan(value: Any) -> str:
    return "no stated value" if value is None or pd.isna(value) else format_yuan(int(value))


def _vehicle(ctx: Context) -> pd.DataFrame:
    rows = _first_match(
        ctx,
        "v.plate, v.vehicle_type, v.value_fen, v.import_id, v.row_no",
        " JOIN ref_vehicles v ON v.id_number = r.id_number AND "
        + asset.vehicle_beyond("v", ctx.county.screening),
        ["plate", "vehicle_type", "value_fen", "import_id", "row_no"],
    )
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            f"owns vehicle {g.plate} ({g.vehicle_type or 'type not stated'}, "
            f"{_yuan(g.value_fen)}), above the vehicle limit"
        ),
        evidence=lambda g: {
            **reference_evidence("ref_vehicles")(g),
            "plate": g.plate,
            "value_fen": None if pd.isna(g.value_fen) else int(g.value_fen),
        },
    )


M11 = Rule(
    id="M11",
    category="misappropriated",
    title_zh="名下有车辆仍享受",
    title_en="Recipient owns a vehicle",
    data=("payment_instructions", "recipients", "ref_vehicles (latest vehicle list)"),
    checks=(
        "Payments of the period to someone with a current vehicle (not 注销/报废) on the "
        "latest vehicle list, not of an exempt type, worth more than the limit or of no "
        "stated value."
    ),
    thresholds=("screening.vehicle_value_max", "screening.vehicle_exempt_types"),
    amount="the period's payments to the recipient",
    detect=_vehicle,
)


def _property(ctx: Context) -> pd.DataFrame:
    rows = ctx.frame(
        period_payments(
            PAYMENT_SELECT + ", p.n, p.area_dm2, q.certificate_no, q.import_id, q.row_no",
            f" JOIN ({asset.property_beyond(ctx.county.screening)}) p"
            " ON p.id_number = r.id_number JOIN ref_property q ON q.id = p.first_id",
        ),
        (ctx.period,),
        [*_COLUMNS, "n", "area_dm2", "certificate_no", "import_id", "row_no"],
    )
    if rows.empty:
        return empty()
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            f"owns {int(g.n)} properties of {format_area(int(g.area_dm2))} m2 in total, "
            "beyond the property limits"
        ),
        evidence=lambda g: {
            **reference_evidence("ref_property")(g),
            "properties": int(g.n),
            "area_dm2": int(g.area_dm2),
            "certificate_no": g.certificate_no,
        },
    )


M12 = Rule(
    id="M12",
    category="misappropriated",
    title_zh="房产超标准仍享受",
    title_en="Recipient's property beyond the limit",
    data=("payment_instructions", "recipients", "ref_property (latest property list)"),
    checks=(
        "Payments of the period to someone whose current properties on the latest "
        "property list (exempt uses such as parking spaces aside) are more than the count "
        "allowed or have more building area in total than allowed."
    ),
    thresholds=(
        "screening.property_count_max",
        "screening.property_area_max",
        "screening.property_exempt_usages",
    ),
    amount="the period's payments to the recipient",
    detect=_property,
)


def _business(ctx: Context) -> pd.DataFrame:
    rows = _first_match(
        ctx,
        "c.company, c.credit_code, c.role, c.capital_fen, c.import_id, c.row_no",
        " JOIN ref_businesses c ON c.id_number = r.id_number AND "
        + asset.business_beyond("c", ctx.county.screening),
        ["company", "credit_code", "role", "capital_fen", "import_id", "row_no"],
    )
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            f"{g.role or 'registered person'} of {g.company} ({g.credit_code}), "
            f"registered capital {_yuan(g.capital_fen)}"
        ),
        evidence=lambda g: {
            **reference_evidence("ref_businesses")(g),
            "credit_code": g.credit_code,
            "capital_fen": None if pd.isna(g.capital_fen) else int(g.capital_fen),
        },
    )


M13 = Rule(
    id="M13",
    category="misappropriated",
    title_zh="登记经营市场主体仍享受",
    title_en="Recipient runs a registered business",
    data=("payment_instructions", "recipients", "ref_businesses (latest business list)"),
    checks=(
        "Payments of the period to a person (法定代表人, 股东, 经营者) of a current "
        "business (存续/在业) on the latest business-registration list whose registered "
        "capital is above the limit or not stated."
    ),
    thresholds=("screening.business_capital_max",),
    amount="the period's payments to the recipient",
    detect=_business,
)


def _provident_fund(ctx: Context) -> pd.DataFrame:
    rows = _first_match(
        ctx,
        "f.employer, f.monthly_deposit_fen, f.import_id, f.row_no",
        " JOIN ref_provident_fund f ON f.id_number = r.id_number AND "
        + asset.provident_fund_beyond("f", ctx.county.screening),
        ["employer", "monthly_deposit_fen", "import_id", "row_no"],
    )
    return per_recipient(
        ctx,
        rows,
        lambda g: (
            f"deposits {format_yuan(int(g.monthly_deposit_fen))} yuan a month into a housing "
            f"provident fund through {g.employer}"
        ),
        evidence=lambda g: {
            **reference_evidence("ref_provident_fund")(g),
            "monthly_deposit_fen": int(g.monthly_deposit_fen),
        },
        severity="medium",
    )


M14 = Rule(
    id="M14",
    category="misappropriated",
    title_zh="缴存住房公积金（有工资收入）仍享受",
    title_en="Recipient pays into a housing provident fund",
    data=("payment_instructions", "recipients", "ref_provident_fund (latest list)"),
    checks=(
        "Payments of the period to someone with a current (正常) provident-fund account on "
        "the latest list depositing more a month than the limit: a job whose wages the "
        "assessment must count (medium severity: wages may still be below the line)."
    ),
    thresholds=("screening.provident_fund_monthly_max",),
    severity="medium",
    amount="the period's payments to the recipient",
    detect=_provident_fund,
)

RULES = (M11, M12, M13, M14)
