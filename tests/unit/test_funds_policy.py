"""The draw policy: largest-remainder splits and FIFO, to the fen (hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from ledger.county import DEFAULT_SOURCES
from ledger.funds_policy import (
    ADVANCE,
    FundsConfig,
    Remaining,
    fifo,
    largest_remainder,
    parse_funds,
    split,
)

SOURCES = list(DEFAULT_SOURCES)

weights = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=6).filter(
    lambda w: sum(w) > 0
)
pools = st.lists(
    st.tuples(st.sampled_from(SOURCES), st.integers(min_value=1, max_value=10**11)),
    min_size=1,
    max_size=8,
).map(lambda items: [Remaining(i + 1, s, a) for i, (s, a) in enumerate(items)])


@given(weights, st.data())
def test_largest_remainder_sums_exactly_and_stays_within_each_weight(w, data) -> None:
    total = data.draw(st.integers(min_value=0, max_value=sum(w)))
    parts = largest_remainder(total, w)
    assert sum(parts) == total
    assert all(0 <= p <= x for p, x in zip(parts, w, strict=True))
    # Each part is within one fen of its exact share.
    assert all(abs(p * sum(w) - total * x) < sum(w) for p, x in zip(parts, w, strict=True))


def test_largest_remainder_gives_the_fen_left_to_the_largest_fraction_first_on_ties() -> None:
    assert largest_remainder(174950, [100000, 50000, 50000]) == [87475, 43738, 43737]
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert largest_remainder(2, [1, 2, 3]) == [0, 1, 1]  # 1/3, 2/3, 1: floors 0,0,1


@given(pools, st.sampled_from(["fifo", "proportional"]), st.data())
def test_a_split_covers_the_need_exactly_and_no_allocation_gives_more_than_it_holds(
    pool, policy, data
) -> None:
    available = sum(r.amount_fen for r in pool)
    need = data.draw(st.integers(min_value=1, max_value=available + 10**6))
    draws = split(need, pool, policy, SOURCES)
    assert sum(d.amount_fen for d in draws) == need
    assert all(d.amount_fen > 0 for d in draws)
    held = {r.allocation_id: r for r in pool}
    for d in draws:
        if d.allocation_id is None:
            assert d.source == ADVANCE
        else:
            assert d.amount_fen <= held[d.allocation_id].amount_fen
            assert d.source == held[d.allocation_id].source
    unallocated = sum(d.amount_fen for d in draws if d.allocation_id is None)
    assert unallocated == max(0, need - available)


@given(pools, st.data())
def test_fifo_drains_the_oldest_first(pool, data) -> None:
    need = data.draw(st.integers(min_value=1, max_value=sum(r.amount_fen for r in pool)))
    draws = fifo(need, pool)
    # Every allocation before the last one drawn is drained.
    for item, draw in zip(pool, draws[:-1], strict=False):
        assert draw.allocation_id == item.allocation_id and draw.amount_fen == item.amount_fen


@given(pools, st.data())
def test_proportional_shares_follow_each_sources_remaining_amount(pool, data) -> None:
    available = sum(r.amount_fen for r in pool)
    need = data.draw(st.integers(min_value=1, max_value=available))
    draws = split(need, pool, "proportional", SOURCES)
    for source in {r.source for r in pool}:
        held = sum(r.amount_fen for r in pool if r.source == source)
        got = sum(d.amount_fen for d in draws if d.source == source)
        assert abs(got * available - need * held) < available


def test_the_funds_table_is_checked_key_by_key() -> None:
    problems: list[str] = []
    config = parse_funds(
        {
            "lineage": "proportional",
            "required_pace": "90",
            "year_end": {"municipal": "return"},
            "matching": {"dibao_rural": "25.5"},
        },
        DEFAULT_SOURCES,
        ["dibao_rural"],
        problems,
    )
    assert problems == []
    assert config == FundsConfig(
        "proportional", 9000, {"municipal": "return"}, {"dibao_rural": 2550}
    )
    assert config.year_end_of("central") == "carry"
    problems = []
    parse_funds(
        {
            "lineage": "lifo",
            "pace": 1,
            "year_end": {"moon": "carry", "central": "keep"},
            "matching": {"nope": "1", "dibao_rural": "0.001"},
        },
        DEFAULT_SOURCES,
        ["dibao_rural"],
        problems,
    )
    assert problems == [
        "funds.pace: unknown setting (known: lineage, matching, required_pace, year_end)",
        "funds.lineage: must be one of fifo, proportional, got 'lifo'",
        "funds.year_end.moon: unknown fund source",
        'funds.year_end.central: must be "carry" or "return"',
        "funds.matching.nope: unknown program",
        "funds.matching.dibao_rural: at most 2 decimals, got '0.001'",
    ]
