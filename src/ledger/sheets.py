"""The batch approval sheet (审批表): control totals and what changed since last month.

Rendered from ``statements/batch_approval.html.j2`` to one self-contained HTML page
(inline CSS, printable) when a batch is run (draft) and when it is exported. Chinese by
default, English with ``lang="en"``. ID and card numbers are masked (first 6 + last 4).

Changes are computed per batch, so the sheets of one period's batches add up:
- new: in this batch, not paid by the program the previous period;
- exited: paid through this bank the previous period, in no batch of the program now;
- amount changed / account changed: in both, with another amount / bank or account.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import sqlalchemy as sa

from ledger import deductions, households, institutions, supplements
from ledger.batches import BatchKind, mask, previous_period
from ledger.county import County
from ledger.db import backpay_store, oneoff_store
from ledger.db import batches_store as store
from ledger.db.bulk import fetch_all
from ledger.db.checkpoint import head_document
from ledger.holds import held_listing
from ledger.money import chinese_capital, format_yuan
from ledger.oneoff_rules import CATEGORY_ZH
from ledger.wording import batch_state

DETAIL_ROWS = 50  # rows listed per kind of change; the counts cover all of them


@dataclass(frozen=True)
class Changes:
    new: pd.DataFrame
    exited: pd.DataFrame
    amount: pd.DataFrame
    account: pd.DataFrame


_COLUMNS = ["recipient_id", "key", "name", "township", "amount_fen", "bank", "account_number"]
_INSTRUCTIONS = """
SELECT i.recipient_id, r.key, i.account_holder, i.township, i.amount_fen,
       i.bank, i.account_number
FROM payment_instructions i
JOIN recipients r ON r.id = i.recipient_id
JOIN batches b ON b.id = i.batch_id
"""
_LIVE_OF_PERIOD = (
    " WHERE b.period = ? AND b.program = ? AND b.kind = 'regular' AND b.state <> 'voided'"
)


def _frame(connection: sa.Connection, where: str, params: tuple[Any, ...]) -> pd.DataFrame:
    # Plain tuples from the driver: building a frame from 10^6 result rows is seconds.
    return pd.DataFrame(fetch_all(connection, _INSTRUCTIONS + where, params), columns=_COLUMNS)


def compute_changes(connection: sa.Connection, batch: Any) -> Changes:
    current = _frame(connection, " WHERE i.batch_id = ?", (int(batch.id),))
    previous = _frame(connection, _LIVE_OF_PERIOD, (previous_period(batch.period), batch.program))
    now_paid = pd.Series(
        [
            row[0]
            for row in fetch_all(
                connection,
                "SELECT i.recipient_id FROM payment_instructions i"
                " JOIN batches b ON b.id = i.batch_id" + _LIVE_OF_PERIOD,
                (batch.period, batch.program),
            )
        ],
        dtype="int64",
    )
    new = current[~current["recipient_id"].isin(previous["recipient_id"])]
    exited = previous[(previous["bank"] == batch.bank) & ~previous["recipient_id"].isin(now_paid)]
    both = current.merge(previous, on="recipient_id", suffixes=("", "_prev"))
    amount = both[both["amount_fen"] != both["amount_fen_prev"]]
    account = both[
        (both["bank"] != both["bank_prev"])
        | (both["account_number"] != both["account_number_prev"])
    ]
    return Changes(new, exited, amount, account)


def _rows(frame: pd.DataFrame, *, previous: bool = False) -> list[dict[str, str]]:
    out = []
    for record in frame.sort_values("key").head(DETAIL_ROWS).to_dict("records"):
        row = {
            "key": record["key"],
            "name": record["name"],
            "township": record["township"],
            "amount": format_yuan(int(record["amount_fen"]), thousands=True),
            "account": f"{record['bank']} {mask(record['account_number'])}",
        }
        if previous:
            row["amount_prev"] = format_yuan(int(record["amount_fen_prev"]), thousands=True)
            row["account_prev"] = f"{record['bank_prev']} {mask(record['account_number_prev'])}"
        out.append(row)
    return out


def sheet_context(
    connection: sa.Connection, county: County, batch_id: int, lang: str = "zh"
) -> dict[str, Any]:
    batch = store.load_batch(connection, batch_id)
    held = held_listing(connection, batch_id, lang)
    held_now = [r for g in held for r in g.rows if r["released"] is None]
    payable_count, payable_fen = store.payable_totals(connection, batch_id)
    program = county.programs.get(batch.program)
    bank = county.banks.get(batch.bank)
    towns = store.township_totals(connection, batch_id)
    names = {code: t.name for code, t in county.townships.items()}
    context: dict[str, Any] = {
        "batch": batch,
        "county": county,
        "program_zh": program.name_zh if program else batch.program,
        "program_en": program.name_en if program else batch.program,
        "bank_name": bank.name if bank else batch.bank,
        "state_zh": batch_state(batch.state, "zh"),
        "state_en": batch_state(batch.state, "en"),
        "townships": [
            {
                "code": t,
                "name": names.get(t, t),
                "count": n,
                "amount": format_yuan(s, thousands=True),
            }
            for t, n, s in towns
        ],
        "count": int(batch.instruction_count),
        "total": format_yuan(int(batch.amount_fen_total), thousands=True),
        "held": held,
        "held_count": len(held_now),
        "held_total": format_yuan(sum(r["amount_fen"] for r in held_now), thousands=True),
        "payable_count": payable_count,
        "payable_total": format_yuan(payable_fen, thousands=True),
        "total_capital": chinese_capital(payable_fen),
        "previous_period": previous_period(batch.period),
        "changes": None,
        # The chains' heads as the sheet is printed: a signed paper witness.
        "chain_head": head_document(connection),
        "cases": [],
    }
    if batch.kind == BatchKind.ONEOFF:
        context["cases"] = oneoff_cases(connection, batch_id, lang)
    context["households"] = households.sheet_line(connection, batch_id)
    context["institutions"] = institutions.sheet_line(connection, batch_id)
    back_pay = backpay_store.back_pay_of_batch(connection, batch_id)
    context["back_pay"] = [
        {
            "line": int(r.line_number),
            "key": r.key,
            "name": r.name,
            "township": names.get(r.township, r.township),
            "month": r.period,
            "amount": format_yuan(int(r.amount_fen), thousands=True),
            "held": r.status == "held",
        }
        for r in back_pay
    ]
    context["back_pay_total"] = format_yuan(
        sum(int(r.amount_fen) for r in back_pay), thousands=True
    )
    context["supplements"] = supplements.sheet_rows(connection, county, batch_id, lang)
    context.update(deductions.sheet_context(connection, batch_id))
    if batch.kind == BatchKind.REGULAR:
        changes = compute_changes(connection, batch)
        context["changes"] = {
            "new": {"count": len(changes.new), "rows": _rows(changes.new)},
            "exited": {"count": len(changes.exited), "rows": _rows(changes.exited)},
            "amount": {"count": len(changes.amount), "rows": _rows(changes.amount, previous=True)},
            "account": {
                "count": len(changes.account),
                "rows": _rows(changes.account, previous=True),
            },
            "detail_rows": DETAIL_ROWS,
        }
    return context


def oneoff_cases(connection: sa.Connection, batch_id: int, lang: str) -> list[dict[str, Any]]:
    """The 临时救助 cases of a one-off batch, one row each, for its sheet."""
    return [
        {
            "case": int(r.id),
            "line": int(r.line_number),
            "key": r.key,
            "name": r.name,
            "household": r.household_id,
            "category": CATEGORY_ZH[r.category] if lang == "zh" else r.category,
            "place": f"{r.township} {r.village}",
            "amount": format_yuan(int(r.amount_fen), thousands=True),
            "documents": r.documents,
            "reason": r.reason,
            "over_cap": bool(r.over_cap),
            "by": f"{r.created_by} / {r.approved_by or ''}",
            "held": r.status == "held",
        }
        for r in oneoff_store.batch_cases(connection, batch_id)
    ]


_environment: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _environment
    if _environment is None:
        _environment = jinja2.Environment(
            loader=jinja2.PackageLoader("ledger.statements", "."),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
    return _environment


def render_sheet(
    connection: sa.Connection, county: County, batch_id: int, *, stage: str, lang: str = "zh"
) -> str:
    """The approval sheet as HTML; ``stage`` is "draft" or "export"."""
    context = sheet_context(connection, county, batch_id, lang)
    template = environment().get_template("batch_approval.html.j2")
    return template.render(stage=stage, lang=lang, **context)


def write_sheet(
    connection: sa.Connection,
    county: County,
    batch_id: int,
    out_dir: str | Path,
    *,
    stage: str,
    lang: str = "zh",
) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"batch-{batch_id:06d}-{stage}-sheet.html"
    path.write_text(
        render_sheet(connection, county, batch_id, stage=stage, lang=lang), encoding="utf-8"
    )
    return path


def render_residents(
    connection: sa.Connection,
    county: County,
    batch_id: int,
    *,
    lang: str = "zh",
    unmask: bool = False,
) -> str:
    """The residents attachment (集中供养人员明细) of a batch's institution lines as HTML:
    each line with its residents and shares (``ledger.institutions``)."""
    batch = store.load_batch(connection, batch_id)
    program = county.programs.get(batch.program)
    bank = county.banks.get(batch.bank)
    context = institutions.residents_context(connection, county, batch_id, unmask=unmask)
    template = environment().get_template("institution_residents.html.j2")
    return template.render(
        lang=lang,
        batch=batch,
        county=county,
        program_zh=program.name_zh if program else batch.program,
        program_en=program.name_en if program else batch.program,
        bank_name=bank.name if bank else batch.bank,
        **context,
    )


def write_residents(
    connection: sa.Connection,
    county: County,
    batch_id: int,
    out_dir: str | Path,
    *,
    lang: str = "zh",
) -> Path | None:
    """The residents attachment, masked, beside the bank file (None: the batch has no
    institution line)."""
    if institutions.sheet_line(connection, batch_id) is None:
        return None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"batch-{batch_id:06d}-residents.html"
    path.write_text(render_residents(connection, county, batch_id, lang=lang), encoding="utf-8")
    return path
