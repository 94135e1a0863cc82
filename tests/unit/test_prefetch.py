"""The background reader used by bulk imports: order, errors, early stop, bound."""

import threading
import time

import pytest

from ledger.prefetch import prefetch


def test_items_arrive_in_order_and_all_of_them():
    assert list(prefetch(iter(range(1000)), depth=3)) == list(range(1000))


def test_an_error_in_the_producer_is_raised_in_the_consumer_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("bad line 3")

    seen = []
    with pytest.raises(ValueError, match="bad line 3"):
        for item in prefetch(items()):
            seen.append(item)
    assert seen == [1, 2]


def test_the_producer_runs_at_most_depth_items_ahead_and_stops_when_the_consumer_does():
    produced = []

    def items():
        for n in range(100):
            produced.append(n)
            yield n

    consumer = prefetch(items(), depth=2)
    assert next(consumer) == 0
    time.sleep(0.5)  # time enough for an unbounded producer to read everything
    # One taken, two queued, one held by the blocked producer.
    assert len(produced) == 1 + 2 + 1
    consumer.close()  # the consumer stops early: the thread is stopped and joined
    assert not any(t.name == "ledger-prefetch" for t in threading.enumerate())
    assert len(produced) < 100
