"""The read-ahead worker: a generator run in a second process, one item ahead."""

import os
from collections.abc import Iterator

import pytest

from ledger.errors import ValidationError
from ledger.readahead import ReadAhead, WorkerError


def squares(n: int) -> Iterator[int]:
    for i in range(n):
        yield i * i


def fails_after(n: int) -> Iterator[int]:
    yield from range(n)
    raise ValidationError("bad.csv: 1 error(s)", ["bad.csv, row 3, column 姓名: missing"])


def dies_after(n: int) -> Iterator[int]:
    yield from range(n)
    os._exit(3)


def prints_then_yields() -> Iterator[str]:
    print("a line on stdout must not reach the channel")
    yield "ok"


def endless() -> Iterator[int]:
    i = 0
    while True:
        yield i
        i += 1


def test_items_arrive_in_order_and_then_the_worker_has_ended() -> None:
    worker = ReadAhead(squares, 50)
    assert list(worker) == [i * i for i in range(50)]
    assert worker._process.poll() == 0
    assert list(worker) == []


def test_an_exception_in_the_worker_is_raised_again_with_its_details() -> None:
    worker = ReadAhead(fails_after, 2)
    assert next(worker) == 0
    assert next(worker) == 1
    with pytest.raises(ValidationError) as raised:
        next(worker)
    assert raised.value.problems == ["bad.csv, row 3, column 姓名: missing"]
    assert "bad.csv, row 3, column 姓名: missing" in str(raised.value)


def test_a_worker_that_dies_is_an_error_not_an_early_end() -> None:
    worker = ReadAhead(dies_after, 1)
    assert next(worker) == 0
    with pytest.raises(WorkerError, match="exit status 3"):
        next(worker)


def test_printing_in_the_worker_does_not_disturb_the_items(
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert list(ReadAhead(prints_then_yields)) == ["ok"]
    assert "must not reach the channel" in capfd.readouterr().err


def test_leaving_early_stops_the_worker() -> None:
    worker = ReadAhead(endless)
    assert [next(worker) for _ in range(3)] == [0, 1, 2]
    process = worker._process
    assert process.poll() is None
    worker.close()
    assert process.poll() is not None
    with pytest.raises(StopIteration):
        next(worker)
