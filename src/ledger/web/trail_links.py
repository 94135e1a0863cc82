"""What the trail's tables share: the columns many of them show and the links from a
row's ids to the pages that tell their story (a transaction, an instruction, an
account)."""

from collections.abc import Mapping
from typing import Any

from flask import url_for

from ledger.web.tables import Column

TRANSACTION = Column("transaction_id", "凭证", "transaction", "int")
ACCOUNT = Column("account", "科目", "account")
SIGNED_AMOUNT = Column("amount_fen", "金额（借+贷-）", "amount (Dr+ Cr-)", "money")

# Column -> (endpoint, its argument).
_PAGES = {
    "transaction_id": ("trail.transaction", "tx"),
    "instruction_id": ("trail.instruction", "instruction_id"),
    "account": ("money.account", "name"),
}


def page_links(row: Mapping[str, Any], *columns: str) -> dict[str, str]:
    """Links to the pages of the row's ``columns`` that hold a value."""
    out = {}
    for column in columns:
        if row[column]:
            endpoint, argument = _PAGES[column]
            out[column] = url_for(endpoint, **{argument: row[column]})
    return out
