"""Overlapping the preparation of bulk input with writing it to the database.

``prefetch(items)`` runs an iterator in a background thread, at most ``depth`` items
ahead of the consumer. Reading and validating a chunk of a file (Arrow, pandas and
numpy, which release the GIL for most of their work) then proceeds while the previous
chunk is being inserted (SQLite releases the GIL while it steps). Memory stays bounded:
at most ``depth`` prepared chunks wait in the queue.

An exception in the producer is raised in the consumer, at the point where the item
would have been; a consumer that stops early (an exception of its own) stops the
producer at its next item.
"""

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` as produced by a background thread (see the module docstring)."""
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            offer(_Failed(error))
            return
        offer(_DONE)

    worker = threading.Thread(target=produce, name="ledger-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
