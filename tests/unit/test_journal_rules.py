from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ledger.journal import (
    GENESIS_HASH,
    HeaderFields,
    NewTransaction,
    PostingColumns,
    canonical_timestamp,
    check_transaction,
    chunked_transaction_hash,
    mirror,
    period_of,
    transaction_hash,
)


def tx(amounts, accounts=None) -> NewTransaction:
    accounts = accounts or [f"Assets:Treasury:p{i}" for i in range(len(amounts))]
    return NewTransaction(
        type="test",
        effective_date=date(2026, 11, 1),
        description="d",
        operator="op",
        postings=PostingColumns(accounts=accounts, amounts_fen=amounts),
    )


def test_a_balanced_transaction_has_no_problems():
    assert check_transaction(tx([500, -200, -300])) == []


def test_every_problem_is_reported_at_once():
    problems = check_transaction(tx([0, 5, 0]))
    assert problems == [
        "postings with a zero amount: 1, 3",
        "the postings do not balance: they sum to 5 fen (debits exceed credits by 5 fen)",
    ]


def test_credits_exceeding_debits_are_named_as_such():
    assert check_transaction(tx([100, -150])) == [
        "the postings do not balance: they sum to -50 fen (credits exceed debits by 50 fen)"
    ]


def test_an_empty_transaction_is_refused():
    assert check_transaction(tx([], [])) == ["the transaction has no postings"]


def test_a_float_amount_is_a_programmer_error():
    with pytest.raises(TypeError, match="int fen"):
        check_transaction(tx([1.5, -1.5]))


def test_the_period_is_the_month_of_the_effective_date():
    assert period_of(date(2026, 1, 31)) == "2026-01"
    assert tx([1, -1]).period == "2026-11"


def test_a_reversal_mirrors_amounts_and_keeps_accounts_and_instructions():
    original = PostingColumns(["A", "B"], [700, -700], [11, None])
    reversed_ = mirror(original)
    assert list(reversed_.accounts) == ["A", "B"]
    assert list(reversed_.amounts_fen) == [-700, 700]
    assert list(reversed_.instruction_column()) == [11, None]


def header(**changes) -> HeaderFields:
    fields = dict(
        id=1,
        type="allocation",
        effective_date=date(2026, 11, 1),
        period="2026-11",
        description="财社〔2026〕12号",
        operator="finance",
        idempotency_key=None,
        reverses_id=None,
        recorded_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
        posting_count=2,
    )
    fields.update(changes)
    return HeaderFields(**fields)


def digest(h: HeaderFields, amounts=(100, -100), prev=GENESIS_HASH) -> str:
    return transaction_hash(prev, h, ["A", "B"], list(amounts), [None, None])


def test_the_hash_is_deterministic_and_covers_every_field():
    base = digest(header())
    assert base == digest(header())
    assert len(base) == 64
    variants = [
        digest(header(description="other")),
        digest(header(operator="someone")),
        digest(header(effective_date=date(2026, 11, 2))),
        digest(header(idempotency_key="k")),
        digest(header(recorded_at=datetime(2026, 11, 1, 8, 0, 1, tzinfo=UTC))),
        digest(header(), amounts=(101, -101)),
        digest(header(), prev="f" * 64),
    ]
    assert base not in variants
    assert len(set(variants)) == len(variants)


def test_the_same_moment_hashes_the_same_whatever_its_time_zone():
    utc = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    beijing = utc.astimezone(timezone(timedelta(hours=8)))
    naive_utc = utc.replace(tzinfo=None)
    assert (
        canonical_timestamp(utc) == canonical_timestamp(beijing) == canonical_timestamp(naive_utc)
    )
    assert digest(header(recorded_at=utc)) == digest(header(recorded_at=beijing))


def test_the_hash_of_postings_given_in_chunks_is_the_same_as_given_at_once():
    accounts = ["Assets:Treasury:p", "Liabilities:Payable:p:R1", "Assets:BankClearing:B"]
    amounts = [300, 200, -500]
    instructions = [None, 7, 7]
    h = header(posting_count=3)
    whole = transaction_hash(GENESIS_HASH, h, accounts, amounts, instructions)
    lines = [
        f"{a}\x1f{m}\x1f{'' if i is None else i}"
        for a, m, i in zip(accounts, amounts, instructions, strict=True)
    ]
    for chunks in ([lines], [lines[:1], lines[1:]], [[], lines[:2], [], lines[2:], []]):
        assert chunked_transaction_hash(GENESIS_HASH, h, chunks) == whole
