"""Cash payments (现金发放, 备用金) for people without a bank account.

A county configures its townships' cash payment as a bank with ``cash = true``
(county.toml ``[banks.CODE]``). Roster rows at it have no account number; ``batch run``
makes a batch for it like for any bank; approval and export post the same entries (the
export draws the cash from the special account into ``Assets:BankClearing:{CODE}``, the
cash in the paying officers' hands). Its "bank file" (profile ``cash_receipt``) is the
receipt list; this module renders it as the page to print and sign (签收表), grouped by
township and village, and the signed list comes back typed into the same layout with
领取状态 已领取/未领取: ``ledger reconcile import`` settles the signed lines (cash paid
out, Dr Payable / Cr Clearing) and fails the unsigned ones (cash back, Dr Treasury / Cr
Clearing). Cash that stays unsigned is withheld (rule W07, ``cash_receipt_days``).
"""

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

import sqlalchemy as sa

from ledger.batches import EXPORTED_STATES, remittance_text
from ledger.county import County
from ledger.db.batches_store import load_batch
from ledger.db.bulk import fetch_all
from ledger.errors import LedgerError
from ledger.history.clock import CHINA_TIME, utc
from ledger.identity import mask
from ledger.money import format_yuan
from ledger.wording import program_name


@dataclass(frozen=True)
class ReceiptList:
    batch_id: int
    html: str
    count: int
    amount_fen: int


_ROWS = (
    "SELECT i.line_number, r.key, r.name, i.account_holder, i.id_number, i.township,"
    " i.village, i.amount_fen, i.end_to_end_id FROM payment_instructions i"
    " JOIN recipients r ON r.id = i.recipient_id"
    " WHERE i.batch_id = ? AND i.status <> 'held' ORDER BY i.township, i.village, i.line_number"
)
"""The lines of the batch's file (held payments are not in it), by place, then line."""


def _check(county: County, batch: Any) -> None:
    if batch.bank not in county.cash_banks:
        raise LedgerError(
            f"batch {batch.id} pays bank {batch.bank}, which is not a cash payment (cash = true "
            "in county.toml): its bank file is the list the bank pays by"
        )
    if batch.state not in EXPORTED_STATES:
        raise LedgerError(
            f"batch {batch.id} is {batch.state}: a receipt list is printed once the batch is "
            "exported (the cash drawn), so that it matches the lines the signed list is "
            "reconciled against"
        )


def receipt_list(
    connection: sa.Connection,
    county: County,
    batch_id: int,
    *,
    lang: str = "zh",
    unmask: bool = False,
) -> ReceiptList:
    """The receipt list (现金发放签收表) of an exported cash batch as HTML: one table
    per township and village, a line per payment with room to sign, the totals equal
    to the batch file's. ID numbers masked unless ``unmask``."""
    from ledger.sheets import environment

    batch = load_batch(connection, batch_id)
    _check(county, batch)
    rows = fetch_all(connection, _ROWS, (int(batch_id),))
    places = []
    for (township, village), lines in groupby(rows, key=lambda row: (row[5], row[6])):
        items = [
            {
                "line": int(row[0]),
                "key": row[1],
                "name": row[2],
                "signer": row[3],
                "id_number": row[4] if unmask else mask(row[4]),
                "amount": format_yuan(int(row[7]), thousands=True),
                "amount_fen": int(row[7]),
                "end_to_end_id": row[8],
            }
            for row in lines
        ]
        subtotal = sum(item["amount_fen"] for item in items)
        places.append(
            {
                "township": _place_name(county, township, None),
                "village": _place_name(county, township, village),
                "lines": items,
                "count": len(items),
                "total": format_yuan(subtotal, thousands=True),
            }
        )
    total = sum(int(row[7]) for row in rows)
    program = county.programs.get(batch.program)
    html = (
        environment()
        .get_template("cash_receipts.html.j2")
        .render(
            lang=lang,
            county=county.name,
            batch_id=int(batch.id),
            period=batch.period,
            program=program_name(county, batch.program, lang),
            bank=county.banks[batch.bank].name,
            remittance=remittance_text(batch.period, program.name_zh if program else batch.program),
            file_name=batch.file_name or "",
            exported_at=_china_time(batch.exported_at),
            places=places,
            count=len(rows),
            total=format_yuan(total, thousands=True),
            masked=not unmask,
            generated=datetime.now(CHINA_TIME).strftime("%Y-%m-%d %H:%M"),
        )
    )
    return ReceiptList(int(batch.id), html, len(rows), total)


def _china_time(moment: Any) -> str:
    """When the cash was drawn, in China Standard Time (the township's clock)."""
    at = utc(moment)
    return "" if at is None else at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def _place_name(county: County, township: str, village: str | None) -> str:
    place = county.townships.get(township)
    if place is None:
        return village or township
    if village is None:
        return f"{place.name}（{township}）"
    names = {v.code: v.name for v in place.villages}
    return f"{names.get(village, village)}（{village}）"
