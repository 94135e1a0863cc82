"""Bank file profiles: declarative descriptions of what a bank takes and sends back.

A profile names a format (``csv``, ``fixed`` or ``pain001``), an encoding, the header
line (total count, total amount...), the detail columns and the return layout the bank
answers with (回盘). Each field takes its value from a named *source*; the writers in
``ledger.files.bankfile`` and ``ledger.files.pain001`` know the sources. The built-in
profiles are below; a county adds its own in its configuration (``[bank_profiles.NAME]``,
see docs/formats.md), with the same fields.

Fixed-width widths are counted in bytes of the profile's encoding, so a Chinese name
takes two bytes a character in GBK and pads correctly.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.errors import ValidationError

# Where detail fields take their values from (one instruction).
DETAIL_SOURCES = {
    "line_number": "序号: the instruction's line in the file (1, 2, ...)",
    "account_holder": "户名: the account holder's name",
    "id_number": "身份证号: the recipient's ID number (unmasked: bank files only)",
    "account_number": "卡号: the card or account number",
    "amount_yuan": "金额(元): the amount in yuan with two decimals",
    "amount_fen": "金额(分): the amount in fen",
    "remittance": "摘要: e.g. 2026年11月农村最低生活保障金",
    "end_to_end_id": "业务流水号: the instruction's EndToEndId",
    "bank_cnaps": "the payee bank's CNAPS code",
}
# Where header fields take their values from (the whole batch).
HEADER_SOURCES = {
    "count": "总笔数: number of instructions",
    "total_yuan": "总金额(元): total amount in yuan with two decimals",
    "total_fen": "总金额(分): total amount in fen",
    "batch_id": "the batch number",
    "period": "the period as YYYYMM",
    "pay_date": "the requested pay date as YYYYMMDD",
    "debtor_account": "the program's special account (付款账号)",
}
# Extra fields only a return file has.
RETURN_SOURCES = {
    "status": "状态: 成功 / 失败 / 处理中 (see return_status)",
    "reason": "失败原因: the bank's failure text",
}
FORMATS = ("csv", "fixed", "pain001")


@dataclass(frozen=True, slots=True)
class Field:
    """One column. ``source`` is a key of the *_SOURCES tables or ``literal:TEXT``.

    Fixed-width only: ``width`` in bytes of the encoding, ``align`` left/right and the
    ``fill`` character (``0`` with right alignment gives zero-padded numbers).
    """

    title: str
    source: str
    width: int = 0
    align: str = "left"
    fill: str = " "


@dataclass(frozen=True)
class Profile:
    name: str
    format: str
    encoding: str
    extension: str
    description: str
    line_ending: str = "\r\n"
    delimiter: str = ","
    # CSV: the header line is written as title,value,title,value...; fixed: values only.
    header: tuple[Field, ...] = ()
    # CSV: a line of column titles after the header line.
    column_titles: bool = True
    columns: tuple[Field, ...] = ()
    # The bank's answer: its columns, and what its status texts mean.
    return_columns: tuple[Field, ...] = ()
    return_status: dict[str, str] = field(default_factory=dict)


_RETURN_STATUS = {"成功": "settled", "失败": "failed", "处理中": "pending"}

_CSV_DETAIL = (
    Field("序号", "line_number"),
    Field("户名", "account_holder"),
    Field("身份证号", "id_number"),
    Field("卡号", "account_number"),
    Field("金额(元)", "amount_yuan"),
    Field("摘要", "remittance"),
    Field("业务流水号", "end_to_end_id"),
)

CSV_GB18030 = Profile(
    name="csv_gb18030",
    format="csv",
    encoding="gb18030",
    extension="csv",
    description="CSV in GB18030 (every Unicode character, e.g. 𠮷), CRLF lines",
    header=(Field("总笔数", "count"), Field("总金额(元)", "total_yuan")),
    columns=_CSV_DETAIL,
    return_columns=(*_CSV_DETAIL, Field("状态", "status"), Field("失败原因", "reason")),
    return_status=_RETURN_STATUS,
)

_FIXED_DETAIL = (
    Field("记录类型", "literal:D", 1),
    Field("序号", "line_number", 6, "right", "0"),
    Field("户名", "account_holder", 30),
    Field("身份证号", "id_number", 18),
    Field("卡号", "account_number", 32),
    Field("金额(分)", "amount_fen", 15, "right", "0"),
    Field("摘要", "remittance", 40),
    Field("业务流水号", "end_to_end_id", 35),
)

FIXED_GBK = Profile(
    name="fixed_gbk",
    format="fixed",
    encoding="gbk",
    extension="txt",
    description="fixed-width records in GBK (widths in bytes), amounts in fen, CRLF lines",
    header=(
        Field("记录类型", "literal:H", 1),
        Field("总笔数", "count", 10, "right", "0"),
        Field("总金额(分)", "total_fen", 18, "right", "0"),
        Field("付款账号", "debtor_account", 32),
        Field("期间", "period", 6),
        Field("付款日期", "pay_date", 8),
    ),
    column_titles=False,
    columns=_FIXED_DETAIL,
    return_columns=(
        *_FIXED_DETAIL,
        Field("状态", "status", 6),
        Field("失败原因", "reason", 60),
    ),
    return_status=_RETURN_STATUS,
)

# 现金发放签收表: the list a township's cash payment (a bank with cash = true) is paid
# against. Its "file" is the list to print and sign (also `ledger batch receipts` as a
# page); the signed list comes back typed in as its return: 已领取 settles a line,
# 未领取 fails it (the cash goes back), 待领取 leaves it pending (the cash is still with
# the paying officer: W07 after cash_receipt_days). No account number: the payee has none.
_CASH_DETAIL = (
    Field("序号", "line_number"),
    Field("姓名", "account_holder"),
    Field("身份证号", "id_number"),
    Field("金额(元)", "amount_yuan"),
    Field("摘要", "remittance"),
    Field("业务流水号", "end_to_end_id"),
)

CASH_RECEIPT = Profile(
    name="cash_receipt",
    format="csv",
    encoding="gb18030",
    extension="csv",
    description="现金发放签收表: the cash receipt list to sign (GB18030 CSV); the signed "
    "list comes back with 领取状态 已领取/未领取/待领取",
    header=(Field("总笔数", "count"), Field("总金额(元)", "total_yuan")),
    columns=(*_CASH_DETAIL, Field("领取人签字", "literal:"), Field("领取日期", "literal:")),
    return_columns=(*_CASH_DETAIL, Field("领取状态", "status"), Field("备注", "reason")),
    return_status={"已领取": "settled", "未领取": "failed", "待领取": "pending"},
)

PAIN001 = Profile(
    name="pain001",
    format="pain001",
    encoding="utf-8",
    extension="xml",
    description="ISO 20022 pain.001.001.09 (validated against the official XSD); "
    "the bank answers with pain.002 (OrgnlEndToEndId, TxSts, StsRsnInf/Rsn/Cd)",
    line_ending="\n",
)

BUILT_IN: dict[str, Profile] = {p.name: p for p in (CSV_GB18030, FIXED_GBK, CASH_RECEIPT, PAIN001)}


def available_profiles(county_path: str | Path | None = None) -> dict[str, Profile]:
    """The built-in profiles plus those the county configuration defines."""
    profiles = dict(BUILT_IN)
    if county_path:
        profiles.update(load_county_profiles(county_path))
    return profiles


def load_county_profiles(path: str | Path) -> dict[str, Profile]:
    """``[bank_profiles.NAME]`` tables of a county file; every problem reported at once."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("bank_profiles", {})
    problems: list[str] = []
    profiles: dict[str, Profile] = {}
    if not isinstance(raw, dict):
        raise ValidationError(f"{path}: bank_profiles must be a table ([bank_profiles.NAME])")
    for name, item in raw.items():
        where = f"bank_profiles.{name}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        profile = _profile_from_toml(name, item, where, problems)
        if profile is not None:
            profiles[name] = profile
    if problems:
        raise ValidationError(f"{path}: {len(problems)} problem(s) in bank_profiles:", problems)
    return profiles


def _profile_from_toml(
    name: str, item: dict[str, Any], where: str, problems: list[str]
) -> Profile | None:
    fmt = item.get("format")
    if fmt not in ("csv", "fixed"):
        problems.append(f'{where}.format: must be "csv" or "fixed", got {fmt!r}')
        return None
    encoding = str(item.get("encoding", "gb18030"))
    try:
        "".encode(encoding)
    except LookupError:
        problems.append(f"{where}.encoding: unknown encoding {encoding!r}")
    header = _fields(item.get("header", []), f"{where}.header", HEADER_SOURCES, fmt, problems)
    columns = _fields(item.get("columns", []), f"{where}.columns", DETAIL_SOURCES, fmt, problems)
    if not columns:
        problems.append(f"{where}.columns: at least one column is needed")
    returns = _fields(
        item.get("return_columns", []),
        f"{where}.return_columns",
        DETAIL_SOURCES | RETURN_SOURCES,
        fmt,
        problems,
    )
    line_ending = {"crlf": "\r\n", "lf": "\n"}.get(str(item.get("line_ending", "crlf")).lower())
    if line_ending is None:
        problems.append(f'{where}.line_ending: must be "crlf" or "lf"')
        line_ending = "\r\n"
    return Profile(
        name=name,
        format=fmt,
        encoding=encoding,
        extension=str(item.get("extension", "csv" if fmt == "csv" else "txt")),
        description=str(item.get("description", f"county profile {name}")),
        line_ending=line_ending,
        delimiter=str(item.get("delimiter", ",")),
        header=tuple(header),
        column_titles=bool(item.get("column_titles", fmt == "csv")),
        columns=tuple(columns),
        return_columns=tuple(returns),
        return_status=dict(item.get("return_status", _RETURN_STATUS)),
    )


def _fields(
    raw: Any, where: str, sources: dict[str, str], fmt: str, problems: list[str]
) -> list[Field]:
    if not isinstance(raw, list):
        problems.append(f"{where}: must be a list of {{ title, source, ... }}")
        return []
    out: list[Field] = []
    for index, entry in enumerate(raw):
        here = f"{where}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{here}: must be a table")
            continue
        source = str(entry.get("source", ""))
        if source not in sources and not source.startswith("literal:"):
            problems.append(f"{here}.source: unknown {source!r} (known: {', '.join(sources)})")
        width = entry.get("width", 0)
        if fmt == "fixed" and (not isinstance(width, int) or width <= 0):
            problems.append(f"{here}.width: a fixed-width field needs a width in bytes")
            width = 1
        align = str(entry.get("align", "left"))
        if align not in ("left", "right"):
            problems.append(f'{here}.align: must be "left" or "right"')
        fill = str(entry.get("fill", " "))
        if len(fill) != 1:
            problems.append(f"{here}.fill: must be one character")
            fill = " "
        out.append(Field(str(entry.get("title", source)), source, int(width), align, fill))
    return out
