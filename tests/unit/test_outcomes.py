"""The rule table: what one line of a bank return does to the instruction it names."""

import pytest

from ledger.outcomes import Posting, decide


def rule(status: str, said: str, returned: bool = False, settled_same: bool = False,
         returned_same: bool = False):  # fmt: skip
    return decide(
        status,
        said,
        returned_before=returned,
        settled_same_format=settled_same,
        returned_same_format=returned_same,
        file_format="camt.054",
    )


@pytest.mark.parametrize(
    ("status", "said", "outcome", "posting", "new"),
    [
        ("pending", "settled", "settled", Posting.SETTLE, "settled"),
        ("pending", "failed", "failed", Posting.FAIL, "failed"),
        ("pending", "returned", "returned", Posting.FAIL, "failed"),
        ("settled", "returned", "returned", Posting.RETURN, "failed"),
        ("settled", "settled", "settled", None, None),
        ("failed", "failed", "failed", None, None),
        ("reissued", "failed", "failed", None, None),
        ("pending", "pending", "pending", None, None),
        ("settled", "pending", "pending", None, None),
    ],
)
def test_each_line_moves_the_instruction_or_corroborates(status, said, outcome, posting, new):
    decision = rule(status, said)
    assert (decision.outcome, decision.posting, decision.status, decision.exception) == (
        outcome, posting, new, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "said", "flags", "words"),
    [
        ("settled", "settled", {"settled_same": True}, "settled a second time"),
        ("settled", "failed", {}, "already settled"),
        ("failed", "settled", {}, "reported it failed earlier"),
        ("failed", "returned", {}, "never settled"),
        ("failed", "returned", {"returned": True, "returned_same": True}, "returned a second time"),
        ("voided", "settled", {}, "voided"),
    ],
)
def test_contradictions_are_exceptions_and_post_nothing(status, said, flags, words):
    decision = rule(status, said, **flags)
    assert decision.outcome is None and decision.posting is None and decision.status is None
    assert words in (decision.exception or "")


def test_an_earlier_return_makes_a_later_settlement_report_a_corroboration():
    assert rule("failed", "settled", returned=True).outcome == "settled"
    assert rule("failed", "returned", returned=True).outcome == "returned"
