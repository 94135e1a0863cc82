"""Return profiles: declarative descriptions of a bank's CSV or fixed-width return file.

A return profile is the bank's answer to one of our export profiles (issue 4): the same
columns, plus the status and failure reason the bank adds. Build one from an export
profile by taking its columns and appending ``状态``/``失败原因`` (``ReturnProfile`` is a
plain frozen dataclass; ``dataclasses.replace`` makes variants). ``docs/formats-returns.md``
describes the shipped ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from ledger.files.returns.amounts import Unit
from ledger.files.returns.model import ReturnStatus


class Field(StrEnum):
    """What a column means. Columns with ``IGNORED`` meanings are read and checked, not kept."""

    SEQUENCE = "sequence"  # 序号: the line number of the export file the bank echoes
    HOLDER_NAME = "holder_name"  # 户名
    ID_NUMBER = "id_number"  # 身份证号: required in the file, never kept (personal data)
    ACCOUNT = "account"  # 卡号
    AMOUNT = "amount"  # 金额(元) or 金额(分)
    MEMO = "memo"  # 摘要: not kept
    END_TO_END_ID = "end_to_end_id"  # 业务流水号
    STATUS = "status"  # 状态
    REASON_TEXT = "reason_text"  # 失败原因


@dataclass(frozen=True)
class Column:
    title: str  # the header text in a CSV column-names row
    meaning: Field
    width: int | None = None  # fixed-width profiles: the width in bytes of the encoding


DEFAULT_STATUS_TEXTS: Mapping[str, ReturnStatus] = MappingProxyType(
    {"成功": ReturnStatus.SETTLED, "失败": ReturnStatus.FAILED, "处理中": ReturnStatus.PENDING}
)


@dataclass(frozen=True)
class ReturnProfile:
    """A bank's return file layout.

    ``header_widths`` (fixed) / the first CSV line: total count, then total amount.
    ``status_texts`` maps every status text the bank writes; any other text refuses the
    file (a status we cannot read is not guessed). ``echoes_end_to_end_id`` False means
    the bank drops 业务流水号 (the column may be absent or blank); phase B then matches by
    序号 or (account, amount, name).
    """

    name: str
    layout: Literal["csv", "fixed"]
    encoding: str
    columns: tuple[Column, ...]
    amount_unit: Unit = "yuan"
    delimiter: str = ","
    column_names_row: bool = True  # CSV: a row of column titles after the totals line
    header_widths: tuple[int, int] = (10, 18)  # fixed: widths of total count, total amount
    status_texts: Mapping[str, ReturnStatus] = field(default_factory=lambda: DEFAULT_STATUS_TEXTS)
    echoes_end_to_end_id: bool = True

    @property
    def record_width(self) -> int:
        return sum(c.width or 0 for c in self.columns)

    def column(self, meaning: Field) -> Column | None:
        return next((c for c in self.columns if c.meaning is meaning), None)


CSV_GB18030 = ReturnProfile(
    name="csv_gb18030",
    layout="csv",
    encoding="gb18030",
    columns=(
        Column("序号", Field.SEQUENCE),
        Column("户名", Field.HOLDER_NAME),
        Column("身份证号", Field.ID_NUMBER),
        Column("卡号", Field.ACCOUNT),
        Column("金额(元)", Field.AMOUNT),
        Column("摘要", Field.MEMO),
        Column("业务流水号", Field.END_TO_END_ID),
        Column("状态", Field.STATUS),
        Column("失败原因", Field.REASON_TEXT),
    ),
)

FIXED_GBK = ReturnProfile(
    name="fixed_gbk",
    layout="fixed",
    encoding="gbk",
    column_names_row=False,
    columns=(
        Column("序号", Field.SEQUENCE, 8),
        Column("户名", Field.HOLDER_NAME, 40),
        Column("身份证号", Field.ID_NUMBER, 18),
        Column("卡号", Field.ACCOUNT, 32),
        Column("金额(元)", Field.AMOUNT, 15),
        Column("摘要", Field.MEMO, 40),
        Column("业务流水号", Field.END_TO_END_ID, 35),
        Column("状态", Field.STATUS, 8),
        Column("失败原因", Field.REASON_TEXT, 60),
    ),
)

PROFILES: Mapping[str, ReturnProfile] = MappingProxyType(
    {p.name: p for p in (CSV_GB18030, FIXED_GBK)}
)
