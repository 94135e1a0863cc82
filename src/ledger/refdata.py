"""Reference lists for the audit rules (DESIGN §6): their file columns and validation.

- deaths (死亡名单): ID, date of death, source (公安/卫健/殡葬...); cumulative.
- staff (公职人员、财政供养人员: the financial-support payroll, 在编在岗 and 离退休): ID,
  name, employer, optionally the category (人员类别) and salary account numbers (several
  separated by ; or ,); a snapshot, the latest import is current.
- cadres (干部及近亲属): one row per cadre and near relative, with whether the relation
  was filed (近亲属备案); a cadre may be listed without relatives; a snapshot.

The same rules as the roster: every problem reported with file, row and column; any
error refuses the whole file. Duplicates (the same ID twice; the same cadre and
relative twice) are errors. The asset lists (vehicles, property, business, provident
fund) are in ``ledger.refdata_assets``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ledger import refdata_assets
from ledger.columns import ROW, Column

if TYPE_CHECKING:  # the command line names the KINDS without loading pandas
    import pandas as pd

    from ledger.tabular import Problems

KINDS = ("deaths", "staff", "cadres", *refdata_assets.KINDS)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "deaths": (
        Column("id_number", "身份证号", also=("公民身份号码",)),
        Column("name", "姓名", required=False),
        Column("death_date", "死亡日期"),
        Column("source", "数据来源", required=False, also=("来源",)),
    ),
    "staff": (
        Column("id_number", "身份证号", also=("公民身份号码",)),
        Column("name", "姓名"),
        Column("employer", "工作单位", also=("单位", "单位名称", "工资发放单位")),
        Column("category", "人员类别", required=False, also=("人员身份", "供养类别")),
        Column("account_numbers", "银行账号", required=False, also=("工资账号",)),
    ),
    "cadres": (
        Column("cadre_id_number", "干部身份证号"),
        Column("cadre_name", "干部姓名"),
        Column("employer", "工作单位", required=False, also=("单位",)),
        Column("position", "职务", required=False),
        Column("relative_id_number", "亲属身份证号", required=False),
        Column("relative_name", "亲属姓名", required=False),
        Column("relation", "关系", required=False, also=("亲属关系", "与干部关系")),
        Column("filed", "是否备案", required=False, also=("已备案",)),
    ),
    **refdata_assets.COLUMNS,
}


def headers(kind: str) -> list[str]:
    """The Chinese headers of a list ``kind``'s columns, in order (a file that has them all)."""
    return [column.zh for column in COLUMNS[kind]]


FILED_WORDS = {
    "是": True,
    "已备案": True,
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "否": False,
    "未备案": False,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "": False,
}


def validate_chunk(
    kind: str,
    frame: pd.DataFrame,
    labels: dict[str, str],
    problems: Problems,
    *,
    default_source: str | None = None,
) -> pd.DataFrame:
    """Check one chunk of a reference list; return its rows normalised."""
    import pandas as pd

    from ledger.tabular import Checker

    check = Checker(frame, labels, problems)
    for column in COLUMNS[kind]:
        if column.required:
            check.flag(frame[column.key] == "", column.key, "required value is missing")
    out = pd.DataFrame({"row_no": frame[ROW].astype("int64")})
    if kind in refdata_assets.KINDS:
        return refdata_assets.validate(kind, frame, check, out)
    if kind == "deaths":
        out["id_number"], births = check.id_numbers(frame["id_number"], "id_number")
        out["name"] = frame["name"].where(frame["name"] != "", None)
        died = check.day(frame["death_date"], "death_date")
        check.flag(died.notna() & (died > date.today().isoformat()), "death_date", "in the future")
        check.flag(
            died.notna() & births.notna() & (died < births),
            "death_date",
            "before the birth date in the ID number",
        )
        out["death_date"] = died
        source = frame["source"].where(frame["source"] != "", default_source or "")
        check.flag(
            source == "",
            "source",
            "required value is missing (or give --source for the whole file)",
        )
        out["source"] = source
    elif kind == "staff":
        out["id_number"], _ = check.id_numbers(frame["id_number"], "id_number")
        out["name"] = frame["name"]
        out["employer"] = frame["employer"]
        check.flag(frame["category"].str.len() > 32, "category", "longer than 32 characters")
        out["category"] = frame["category"].where(frame["category"] != "", None)
        accounts = frame["account_numbers"].str.replace(r"[\s-]", "", regex=True)
        parts = accounts.str.split(r"[;,，；、/]+", regex=True)
        bad = parts.map(lambda items: any(not _account_ok(i) for i in items if i))
        check.flag(
            bad & (accounts != ""),
            "account_numbers",
            "each account number must be 8 to 32 digits (several: separate with ;)",
        )
        out["account_numbers"] = parts.map(lambda items: [i for i in items if i])
    else:
        out["cadre_id_number"], _ = check.id_numbers(frame["cadre_id_number"], "cadre_id_number")
        out["cadre_name"] = frame["cadre_name"]
        out["employer"] = frame["employer"].where(frame["employer"] != "", None)
        out["position"] = frame["position"].where(frame["position"] != "", None)
        relative, _ = check.id_numbers(frame["relative_id_number"], "relative_id_number")
        has_relative = ((frame["relative_name"] != "") | (frame["relation"] != "")) & (
            frame["relative_id_number"] == ""
        )
        check.flag(
            has_relative,
            "relative_id_number",
            "a relative is named but their ID number is missing",
        )
        check.flag(
            (frame["relative_id_number"] != "") & (frame["relation"] == ""),
            "relation",
            "required for a relative (配偶, 子女, 父母...)",
        )
        check.flag(
            relative.notna() & (relative == out["cadre_id_number"]),
            "relative_id_number",
            "the same person as the cadre",
        )
        out["relative_id_number"] = relative
        out["relative_name"] = frame["relative_name"].where(frame["relative_name"] != "", None)
        out["relation"] = frame["relation"].where(frame["relation"] != "", None)
        filed = frame["filed"].str.lower().map(FILED_WORDS)
        check.flag(filed.isna(), "filed", "must be 是/否 (yes/no)")
        out["filed"] = filed.fillna(False).astype(bool)
    return out


def duplicate_problems(
    kind: str, frame: pd.DataFrame, labels: dict[str, str], problems: Problems
) -> None:
    """Rows repeating an earlier row's person (or cadre and relative, vehicle, property
    and owner, business and person): errors."""
    keys = {"cadres": ["cadre_id_number", "relative_id_number"], **refdata_assets.KEYS}.get(
        kind, ["id_number"]
    )
    what = {
        "cadres": "the same cadre and relative",
        "vehicles": "the same number plate",
        "property": "the same certificate and owner",
        "business": "the same business and person",
    }.get(kind, "the same ID")
    optional = ["relative_id_number"] if kind == "cadres" else []
    named = labels[keys[-1] if kind == "cadres" else keys[0]]
    usable = frame.dropna(subset=[k for k in keys if k not in optional])
    if kind == "cadres":
        usable = usable.assign(relative_id_number=usable["relative_id_number"].fillna(""))
    first_rows = usable.groupby(keys, sort=False)["row_no"].transform("min")
    repeated = usable[usable["row_no"] != first_rows]
    for row_no, first in zip(repeated["row_no"], first_rows[repeated.index], strict=True):
        problems.add(int(row_no), named, f"{what} as row {int(first)} (duplicate)")


def _account_ok(text: str) -> bool:
    return text.isdigit() and text.isascii() and 8 <= len(text) <= 32
