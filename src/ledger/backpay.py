"""补发 back pay: an enrolment approved late, with a start month before the period run,
is owed every month since that was already run without it (DESIGN §4; docs/backpay.md).

At ``batch run`` each such month becomes an entitlement of kind ``backpay`` dated to that
month, paid (and accrued, at approval) in the current period's regular batch, within the
county's window (county.toml ``[backpay] window_months``, default 12; 0 turns it off).
Only months the ledger ran for the program count: a month before the ledger's first run
was paid, or not, outside it. A person the roster already named when a month was run
(suspended then, say) is not back-paid for it: their not being paid was a decision.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ledger.batches import end_to_end_prefix, shift_period
from ledger.county_fields import section
from ledger.db import backpay_store

DEFAULT_WINDOW_MONTHS = 12


def parse_backpay(raw: Any, problems: list[str]) -> int:
    """``[backpay]`` of county.toml: the window in months (0-60)."""
    if section(raw, "backpay", ("window_months",), problems) is None:
        return DEFAULT_WINDOW_MONTHS
    value = raw.get("window_months", DEFAULT_WINDOW_MONTHS)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60:
        problems.append(
            f"backpay.window_months: must be a whole number from 0 to 60, got {value!r}"
        )
        return DEFAULT_WINDOW_MONTHS
    return value


def add_to_run(
    connection: sa.Connection,
    window_months: int,
    period: str,
    batch_ids: Sequence[int],
    county_code: str,
) -> int:
    """The back pay of the run's new regular batches (their rows still staged)."""
    if window_months <= 0:
        return 0
    start = shift_period(period, -window_months)
    prefix = end_to_end_prefix(county_code, period)
    return backpay_store.insert_back_pay(connection, period, start, batch_ids, prefix)
