"""The SQL of "beyond the county's asset limits" (``[screening]`` in county.toml), shared by
the screening at ``batch run`` (``screening_store``) and the finding rules M11-M14.

Each function returns a condition (or a grouped subquery) over one asset list: a row of
the latest import of its kind, current (``active``), beyond the limit. The limits are
whole numbers and the exempt names come from the county file; they are written into the
SQL as literals (numbers as ``int``, names quoted with their quotes doubled), so the
same text serves both the named parameters of the screening and the ``?`` of the rules.
"""

from collections.abc import Sequence

from ledger.screening_limits import Screening


def latest(alias: str, kind: str) -> str:
    return f"{alias}.import_id = (SELECT MAX(id) FROM refdata_imports WHERE kind = '{kind}')"


def _not_in(column: str, names: Sequence[str]) -> str:
    if not names:
        return ""
    quoted = ", ".join("'" + name.replace("'", "''") + "'" for name in names)
    return f" AND COALESCE({column}, '') NOT IN ({quoted})"


def vehicle_beyond(alias: str, limits: Screening) -> str:
    """A current vehicle not of an exempt type, worth more than the limit or of no value."""
    return (
        f"{latest(alias, 'vehicles')} AND {alias}.active = TRUE"
        + _not_in(f"{alias}.vehicle_type", limits.vehicle_exempt_types)
        + f" AND ({alias}.value_fen IS NULL"
        f" OR {alias}.value_fen > {int(limits.vehicle_value_max_fen)})"
    )


def property_beyond(limits: Screening) -> str:
    """Owners whose current properties (exempt uses aside) are more than the count or
    the area allows: ``id_number, n, area_dm2, first_id`` (their first list row)."""
    return (
        "SELECT x.id_number, COUNT(*) AS n, CAST(SUM(x.area_dm2) AS BIGINT) AS area_dm2,"
        " MIN(x.id) AS first_id"
        f" FROM ref_property x WHERE {latest('x', 'property')} AND x.active = TRUE"
        + _not_in("x.usage", limits.property_exempt_usages)
        + f" GROUP BY x.id_number HAVING COUNT(*) > {int(limits.property_count_max)}"
        f" OR SUM(x.area_dm2) > {int(limits.property_area_max_dm2)}"
    )


def business_beyond(alias: str, limits: Screening) -> str:
    """A current business registration with more capital than the limit, or none stated."""
    return (
        f"{latest(alias, 'business')} AND {alias}.active = TRUE"
        f" AND ({alias}.capital_fen IS NULL"
        f" OR {alias}.capital_fen > {int(limits.business_capital_max_fen)})"
    )


def provident_fund_beyond(alias: str, limits: Screening) -> str:
    """A current provident-fund account depositing more a month than the limit."""
    return (
        f"{latest(alias, 'provident_fund')} AND {alias}.active = TRUE"
        f" AND {alias}.monthly_deposit_fen > {int(limits.provident_fund_monthly_max_fen)}"
    )


def yuan_text(expression: str) -> str:
    """Fen as yuan text with two decimals, in SQL both databases run ('' for NULL)."""
    return _hundredths(expression)


def area_text(expression: str) -> str:
    """Square decimetres as square metres with two decimals ('' for NULL)."""
    return _hundredths(expression)


def _hundredths(e: str) -> str:
    return (
        f"CASE WHEN {e} IS NULL THEN '' ELSE CAST({e} / 100 AS VARCHAR(20)) || '.'"
        f" || CASE WHEN {e} % 100 < 10 THEN '0' ELSE '' END || CAST({e} % 100 AS VARCHAR(2))"
        " END"
    )
