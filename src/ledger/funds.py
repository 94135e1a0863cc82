"""Allocations (拨付): money a source allocates to a program, and its journal entry.

Each allocation is one transaction, Dr ``Assets:Treasury:{program}`` / Cr
``Income:Appropriation:{source}:{program}`` (DESIGN §3), dated the allocation date and
carrying the document number (文号). Its idempotency key is made of source, program,
date, amount and document, so recording the same allocation again (a retried command,
a file imported twice) posts nothing the second time.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from ledger import accounts
from ledger.columns import Column
from ledger.county import County, unknown_code
from ledger.journal import NewTransaction, PostingColumns
from ledger.money import format_yuan, parse_yuan

COLUMNS = (
    Column("source", "资金来源", also=("来源",)),
    Column("program", "救助项目"),
    Column("amount", "金额(元)", also=("金额（元）", "金额", "amount_yuan")),
    Column("doc", "文号", also=("文件号", "doc_number")),
    Column("date", "日期", also=("拨付日期", "到账日期")),
    Column("note", "备注", required=False),
)


@dataclass(frozen=True)
class Allocation:
    source: str
    program: str
    amount_fen: int
    doc_number: str
    allocation_date: date
    note: str | None = None

    @property
    def idempotency_key(self) -> str:
        head = f"allocation:{self.source}:{self.program}:{self.allocation_date}:{self.amount_fen}:"
        key = head + self.doc_number
        if len(key) <= 200:
            return key
        return head + "sha256:" + hashlib.sha256(self.doc_number.encode()).hexdigest()

    def transaction(self, operator: str, county: County) -> NewTransaction:
        source_name = county.sources.get(self.source, self.source)
        return NewTransaction(
            type="allocation",
            effective_date=self.allocation_date,
            description=(
                f"资金拨付 {source_name} {self.program} {self.doc_number} "
                f"{format_yuan(self.amount_fen)}"
            ),
            operator=operator,
            postings=PostingColumns(
                accounts=[
                    accounts.treasury(self.program),
                    accounts.appropriation(self.source, self.program),
                ],
                amounts_fen=[self.amount_fen, -self.amount_fen],
            ),
            idempotency_key=self.idempotency_key,
        )


def make_allocation(
    county: County,
    *,
    source: str,
    program: str,
    amount: str,
    doc: str,
    day: str | date,
    note: str | None = None,
) -> tuple[Allocation | None, list[tuple[str, str]]]:
    """Check one allocation's fields (as text); return it, or the problems as
    (field, message) pairs. Sources and programs may be codes or Chinese names."""
    problems: list[tuple[str, str]] = []
    source_code = _code(
        source, {**{v: k for k, v in county.sources.items()}, **{k: k for k in county.sources}}
    )
    if source_code is None:
        problems.append(
            ("source", f"unknown fund source {source!r} (known: {', '.join(county.sources)})")
        )
    programs = {p.name_zh: p.code for p in county.programs.values()} | {
        p: p for p in county.programs
    }
    program_code = _code(program, programs)
    if program_code is None:
        problems.append(("program", unknown_code("program", program, county.programs)))
    amount_fen = 0
    try:
        amount_fen = parse_yuan(amount)
        if amount_fen <= 0:
            problems.append(("amount", "must be more than 0"))
        elif amount_fen > county.allocation_max_fen:
            problems.append(
                (
                    "amount",
                    f"{amount.strip()} is above the ceiling of "
                    f"{format_yuan(county.allocation_max_fen, thousands=True)} yuan for one "
                    "allocation (limits.allocation_max in the county configuration)",
                )
            )
    except ValueError as error:
        problems.append(("amount", f"not a yuan amount: {error}"))
    doc = doc.strip()
    if not doc:
        problems.append(("doc", "the allocation document number (文号) is missing"))
    elif len(doc) > 128:
        problems.append(("doc", "longer than 128 characters"))
    when: date | None = None
    if isinstance(day, date):
        when = day
    else:
        match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", day.strip())
        try:
            if match is None:
                raise ValueError
            when = date(*(int(g) for g in match.groups()))
        except ValueError:
            problems.append(("date", f"not a date (YYYY-MM-DD): {day!r}"))
    if problems or source_code is None or program_code is None or when is None:
        return None, problems
    return Allocation(source_code, program_code, amount_fen, doc, when, note or None), []


def _code(value: str, table: dict[str, str]) -> str | None:
    value = value.strip()
    return table.get(value) or {k.lower(): v for k, v in table.items()}.get(value.lower())
