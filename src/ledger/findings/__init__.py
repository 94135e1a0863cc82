"""The exception rules (DESIGN §6) and the findings they produce.

``RULES`` is the catalogue: every rule's documented ``Rule`` record, in id order
(withheld W, diverted D, misappropriated M, fluctuation F). ``ledger findings rules``
prints it; the documentation's catalogue is generated from it.
"""

from ledger.findings import (
    cash,
    diverted,
    fluctuation,
    matching,
    misappropriated,
    oneoff,
    withheld,
)
from ledger.findings.base import CANDIDATE_COLUMNS, Context, Rule

RULES: tuple[Rule, ...] = (
    *withheld.RULES,
    *matching.RULES,
    *cash.RULES,
    *diverted.RULES,
    *misappropriated.RULES,
    *oneoff.RULES,
    *fluctuation.RULES,
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
CATEGORIES = ("withheld", "diverted", "misappropriated", "fluctuation")
CATEGORY_TITLES = {
    "withheld": ("截留/滞留", "Withheld"),
    "diverted": ("挪用/挤占/代领", "Diverted"),
    "misappropriated": ("套取/骗取/侵占", "Misappropriated"),
    "fluctuation": ("大起大落", "Fluctuation"),
}

__all__ = [
    "CANDIDATE_COLUMNS",
    "CATEGORIES",
    "CATEGORY_TITLES",
    "RULES",
    "RULES_BY_ID",
    "Context",
    "Rule",
]
