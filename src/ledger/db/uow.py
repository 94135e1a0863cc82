"""The unit of work: one database transaction per state change.

Services receive a ``UnitOfWork`` and call ``commit()`` when everything they meant to do
is done; leaving the ``with`` block without a commit (an exception, an early return)
rolls everything back, so a refused operation leaves nothing half-written.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.db.events import IN_UNIT_INFO, discard_events, flush_events
from ledger.db.journal_store import FUTURE_DAYS_INFO

_commits = 0


def commits() -> int:
    """How many units of work this process has committed so far: an interrupted command
    tells its user whether anything was saved."""
    return _commits


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block is done: a commit is either not made or made
    and counted, never made and reported as interrupted. Main thread only (Python runs
    signal handlers there).

    The handler is replaced rather than the signal masked: a process-directed SIGINT may
    be delivered to any thread that does not block it (a driver's or a worker's), and
    Python would still raise it in the main thread in the middle of the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, None)
            elif previous != signal.SIG_IGN:
                raise KeyboardInterrupt


class UnitOfWork:
    """``future_days``: the county's ``[limits] future_days``, which the journal's write
    path reads from the connection (``journal_store.FUTURE_DAYS_INFO``); None: the
    journal's default."""

    def __init__(self, engine: Engine, *, future_days: int | None = None) -> None:
        self._engine = engine
        self._future_days = future_days
        self._connection: sa.Connection | None = None
        self._transaction: sa.RootTransaction | None = None

    def __enter__(self) -> "UnitOfWork":
        self._connection = self._engine.connect()
        # Connection.info belongs to the pooled DBAPI connection: set it for this unit
        # of work only, so no later user of the connection inherits it.
        self._connection.info.pop(FUTURE_DAYS_INFO, None)
        if self._future_days is not None:
            self._connection.info[FUTURE_DAYS_INFO] = self._future_days
        discard_events(self._connection)
        self._connection.info[IN_UNIT_INFO] = True
        self._transaction = self._connection.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._connection is not None and self._transaction is not None
        try:
            if self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self._connection.info.pop(FUTURE_DAYS_INFO, None)
            self._connection.info.pop(IN_UNIT_INFO, None)
            discard_events(self._connection)
            self._connection.close()
            self._connection = None
            self._transaction = None

    @property
    def connection(self) -> sa.Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    def commit(self) -> None:
        global _commits
        assert self._transaction is not None and self._connection is not None
        # The unit's audit events, chained, with the digests of the rows as committed.
        flush_events(self._connection)
        with _interrupts_held():
            self._transaction.commit()
            _commits += 1
