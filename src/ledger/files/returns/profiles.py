"""Return profiles: how a bank's CSV or fixed-width return (回盘) is laid out.

One definition, not two: a return profile is *derived* from an export profile
(``ledger.files.profiles.Profile``: its ``header``, ``return_columns`` and
``return_status``), so the layout a county configures for a bank is the one we write
and the one we read back. ``return_profile(export)`` does the derivation;
``CSV_GB18030`` and ``FIXED_GBK`` are the built-in export profiles' returns and
``county_return_profiles(path)`` adds a county's own. ``dataclasses.replace`` makes
variants (another encoding, a bank that drops 业务流水号). docs/formats.md describes the
layouts; docs/formats-returns.md how they are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from ledger.errors import ValidationError
from ledger.files import profiles as export_profiles
from ledger.files.returns.amounts import Unit
from ledger.files.returns.model import ReturnStatus


class Field(StrEnum):
    """What a column means. ``ID_NUMBER``, ``MEMO`` and ``OTHER`` are read and checked,
    never kept (personal data, free text, codes we do not need)."""

    SEQUENCE = "sequence"  # 序号: the line number of the export file the bank echoes
    HOLDER_NAME = "holder_name"  # 户名
    ID_NUMBER = "id_number"  # 身份证号: required in the file, never kept (personal data)
    ACCOUNT = "account"  # 卡号
    AMOUNT = "amount"  # 金额(元) or 金额(分)
    MEMO = "memo"  # 摘要: not kept
    END_TO_END_ID = "end_to_end_id"  # 业务流水号
    STATUS = "status"  # 状态
    REASON_TEXT = "reason_text"  # 失败原因
    COUNT = "count"  # header: 总笔数
    TOTAL = "total"  # header: 总金额
    OTHER = "other"  # anything else (a literal record type, CNAPS code, period...)


@dataclass(frozen=True)
class Column:
    title: str  # the header text in a CSV column-names row
    meaning: Field
    width: int | None = None  # fixed-width profiles: the width in bytes of the encoding
    unit: Unit | None = None  # AMOUNT and TOTAL: yuan or fen
    literal: str | None = None  # a ``literal:TEXT`` field: the text every record carries


DEFAULT_STATUS_TEXTS: Mapping[str, ReturnStatus] = MappingProxyType(
    {"成功": ReturnStatus.SETTLED, "失败": ReturnStatus.FAILED, "处理中": ReturnStatus.PENDING}
)


@dataclass(frozen=True)
class ReturnProfile:
    """A bank's return file layout (derive it with ``return_profile``).

    ``header``: the export's header line (CSV: ``title,value`` pairs; fixed: one record
    of these widths), which the bank may echo as the first line; its count and total are
    the file's control totals. ``status_texts`` maps every status text the bank writes;
    any other text refuses the file (a status we cannot read is not guessed).
    ``echoes_end_to_end_id`` False means the bank drops 业务流水号; the reconciliation
    then matches by (batch, 序号) or (account, amount, name).
    """

    name: str
    layout: Literal["csv", "fixed"]
    encoding: str
    columns: tuple[Column, ...]
    header: tuple[Column, ...] = ()
    delimiter: str = ","
    column_names_row: bool = True  # CSV: a row of column titles before the records
    status_texts: Mapping[str, ReturnStatus] = field(default_factory=lambda: DEFAULT_STATUS_TEXTS)
    echoes_end_to_end_id: bool = True

    @property
    def record_width(self) -> int:
        return sum(c.width or 0 for c in self.columns)

    @property
    def header_width(self) -> int:
        return sum(c.width or 0 for c in self.header)

    @property
    def amount_unit(self) -> Unit:
        amount = self.column(Field.AMOUNT)
        return "yuan" if amount is None or amount.unit is None else amount.unit

    def column(self, meaning: Field) -> Column | None:
        return next((c for c in self.columns if c.meaning is meaning), None)


_DETAIL: dict[str, tuple[Field, Unit | None]] = {
    "line_number": (Field.SEQUENCE, None),
    "account_holder": (Field.HOLDER_NAME, None),
    "id_number": (Field.ID_NUMBER, None),
    "account_number": (Field.ACCOUNT, None),
    "amount_yuan": (Field.AMOUNT, "yuan"),
    "amount_fen": (Field.AMOUNT, "fen"),
    "remittance": (Field.MEMO, None),
    "end_to_end_id": (Field.END_TO_END_ID, None),
    "status": (Field.STATUS, None),
    "reason": (Field.REASON_TEXT, None),
}
_HEADER: dict[str, tuple[Field, Unit | None]] = {
    "count": (Field.COUNT, None),
    "total_yuan": (Field.TOTAL, "yuan"),
    "total_fen": (Field.TOTAL, "fen"),
}


def _column(spec: export_profiles.Field, meanings: dict[str, tuple[Field, Unit | None]]) -> Column:
    meaning, unit = meanings.get(spec.source, (Field.OTHER, None))
    literal = spec.source.removeprefix("literal:") if spec.source.startswith("literal:") else None
    return Column(spec.title, meaning, spec.width or None, unit, literal)


def return_profile(export: export_profiles.Profile) -> ReturnProfile | None:
    """The return layout of an export profile (None for pain001 and profiles that declare
    no ``return_columns``). Refused when the return has no status or amount column."""
    if export.format not in ("csv", "fixed") or not export.return_columns:
        return None
    columns = tuple(_column(c, _DETAIL) for c in export.return_columns)
    meanings = {c.meaning for c in columns}
    missing = [m.value for m in (Field.STATUS, Field.AMOUNT) if m not in meanings]
    if missing:
        raise ValidationError(
            f"bank profile {export.name}: return_columns need a "
            f"{' and an '.join(missing)} column (sources status, amount_yuan/amount_fen)"
        )
    statuses = {text: ReturnStatus(value) for text, value in export.return_status.items()}
    return ReturnProfile(
        name=export.name,
        layout="csv" if export.format == "csv" else "fixed",
        encoding=export.encoding,
        columns=columns,
        header=tuple(_column(c, _HEADER) for c in export.header),
        delimiter=export.delimiter,
        column_names_row=export.column_titles if export.format == "csv" else False,
        status_texts=MappingProxyType(statuses or dict(DEFAULT_STATUS_TEXTS)),
        echoes_end_to_end_id=Field.END_TO_END_ID in meanings,
    )


def _derived(export: export_profiles.Profile) -> ReturnProfile:
    profile = return_profile(export)
    assert profile is not None, export.name  # the built-in text profiles all have returns
    return profile


CSV_GB18030 = _derived(export_profiles.CSV_GB18030)
FIXED_GBK = _derived(export_profiles.FIXED_GBK)
CASH_RECEIPT = _derived(export_profiles.CASH_RECEIPT)

PROFILES: Mapping[str, ReturnProfile] = MappingProxyType(
    {p.name: p for p in (CSV_GB18030, FIXED_GBK, CASH_RECEIPT)}
)


def county_return_profiles(county_path: str | Path | None) -> list[ReturnProfile]:
    """The return profiles of a county's own bank profiles (``[bank_profiles.NAME]``)."""
    if not county_path:
        return []
    found = []
    for export in export_profiles.load_county_profiles(county_path).values():
        derived = return_profile(export)
        if derived is not None:
            found.append(derived)
    return found
