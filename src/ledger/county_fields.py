"""Reading county.toml's values: one problem per bad key, named (``section.key: ...``),
collected so every problem of the file is reported at once. The small sections
([disclosure], [limits]) are read here; ``ledger.county`` builds the county from them."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.journal import DEFAULT_FUTURE_DAYS
from ledger.money import parse_yuan

CODE = re.compile(r"[A-Za-z0-9_]{1,32}")

# [limits]: the largest amount one allocation line may carry (an allocation of 10^8
# yuan is already far beyond a county's yearly assistance budget; a larger figure is a
# typing slip) and how many days after today a posting may be dated (1: the server's
# clock may run in UTC while the county's day, UTC+8, has already begun).
DEFAULT_ALLOCATION_MAX_FEN = 100_000_000 * 100
MAX_FUTURE_DAYS = 31

NAME_MASKS = ("given", "middle")


@dataclass(frozen=True)
class Disclosure:
    """The public-disclosure list (公示): how long it is posted, the complaint hotline
    (监督电话) it prints, and how names are masked: ``given`` keeps the surname
    (张**), ``middle`` keeps the first and last character (张*明, 欧阳*娜)."""

    days: int = 7
    hotline: str = ""
    name_mask: str = "given"


def section(
    raw: Any, name: str, known: Sequence[str], problems: list[str], *, word: str = "key"
) -> dict[str, Any] | None:
    """The table ``[name]`` of county.toml (``raw``: its value): None when absent, or
    when it is not a table (a problem); each key not ``known`` a problem
    (``unknown_keys``)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{name}: must be a table ([{name}])")
        return None
    unknown_keys(raw, name, known, problems, word=word)
    return raw


def unknown_keys(
    table: dict[str, Any],
    where: str,
    known: Sequence[str],
    problems: list[str],
    *,
    word: str = "key",
) -> None:
    """A problem for each key of ``table`` not ``known`` (in name order), naming the
    known ones in the order given: ``where.key: unknown key (known: a, b)``."""
    problems += [
        f"{where}.{k}: unknown {word} (known: {', '.join(known)})"
        for k in sorted(set(table) - set(known))
    ]


def disclosure_of(raw: dict[str, Any], problems: list[str]) -> Disclosure:
    known = sorted({"days", "hotline", "name_mask"})
    table = section(raw.get("disclosure", {}), "disclosure", known, problems, word="setting")
    if table is None:
        return Disclosure()
    days = table.get("days", 7)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 90:
        problems.append(f"disclosure.days: must be a number of days from 1 to 90, got {days!r}")
        days = 7
    hotline = table.get("hotline", "")
    if not isinstance(hotline, str):
        problems.append(f"disclosure.hotline: must be text, got {hotline!r}")
        hotline = ""
    name_mask = table.get("name_mask", "given")
    if name_mask not in NAME_MASKS:
        problems.append(
            f"disclosure.name_mask: must be one of {', '.join(NAME_MASKS)}, got {name_mask!r}"
        )
        name_mask = "given"
    return Disclosure(days=days, hotline=hotline.strip(), name_mask=name_mask)


def limits_of(raw: dict[str, Any], problems: list[str]) -> tuple[int, int]:
    """``[limits]``: ``allocation_max`` (yuan text) and ``future_days`` (whole days)."""
    known = ("allocation_max", "future_days")
    limits = section(raw.get("limits", {}), "limits", known, problems) or {}
    allocation_max = DEFAULT_ALLOCATION_MAX_FEN
    if "allocation_max" in limits:
        text = limits["allocation_max"]
        try:
            if not isinstance(text, str):
                raise ValueError(f'write it as text, such as "100000000.00", not {text!r}')
            allocation_max = parse_yuan(text)
            if allocation_max <= 0:
                raise ValueError("it must be more than 0")
        except ValueError as error:
            problems.append(f"limits.allocation_max: not a positive yuan amount: {error}")
            allocation_max = DEFAULT_ALLOCATION_MAX_FEN
    future_days = limits.get("future_days", DEFAULT_FUTURE_DAYS)
    if (
        not isinstance(future_days, int)
        or isinstance(future_days, bool)
        or not 0 <= future_days <= MAX_FUTURE_DAYS
    ):
        problems.append(
            f"limits.future_days: must be a whole number of days from 0 to {MAX_FUTURE_DAYS}, "
            f"got {future_days!r}"
        )
        future_days = DEFAULT_FUTURE_DAYS
    return allocation_max, future_days


def unique_names(problems: list[str], items: list[tuple[str, str]], what: str) -> None:
    """Names are matched when importing files, so two things may not share one."""
    seen: dict[str, str] = {}
    for where, value in items:
        if not value:
            continue
        if value in seen:
            problems.append(f"{where}: {what} {value!r} is also used by {seen[value]}")
        else:
            seen[value] = where


def field_text(item: Any, key: str, where: str, problems: list[str]) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: missing or empty")
        return ""
    return value.strip()


def field_code(item: Any, key: str, where: str, problems: list[str]) -> str:
    value = field_text(item, key, where, problems)
    if value and not CODE.fullmatch(value):
        problems.append(f"{where}: {value!r} is not a code (letters, digits, _; at most 32)")
    return value


def field_list(raw: dict[str, Any], key: str, problems: list[str]) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        problems.append(f"{key}: must be a list of tables ([[{key}]])")
        return []
    return value


def field_table(raw: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    """A table of tables such as [programs.CODE]."""
    value = raw.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a table ([{key}.CODE])")
        return {}
    for k, v in value.items():
        if not isinstance(v, dict):
            problems.append(f"{key}.{k}: must be a table")
    return {k: v for k, v in value.items() if isinstance(v, dict)}
