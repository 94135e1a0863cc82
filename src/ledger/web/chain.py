"""The hash chain's state for the overview: verified in the background, never on a page.

Recomputing the journal (``ledger.db.verify``) reads every posting, which at county size
takes far longer than a page may. The console verifies once when it starts and again
every ``every_minutes``, in a daemon thread, and the overview says what the last run
found and when ("verified as of").
"""

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from ledger.db.verify import verify


@dataclass(frozen=True)
class ChainState:
    checked_at: datetime | None = None  # when the last run finished (None: not yet)
    ok: bool = False
    transactions: int = 0
    postings: int = 0
    first_bad_transaction: int | None = None
    seconds: float = 0.0
    error: str | None = None


class ChainWatch:
    def __init__(self, engine: Engine, *, every_minutes: float = 60.0) -> None:
        self._engine = engine
        self._every = every_minutes * 60
        self._state = ChainState()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> ChainState:
        with self._lock:
            return self._state

    def check_now(self) -> ChainState:
        started = datetime.now(UTC)
        try:
            with self._engine.connect() as connection:
                report = verify(connection)
            state = ChainState(
                checked_at=datetime.now(UTC),
                ok=report.ok,
                transactions=report.transactions_checked,
                postings=report.postings_checked,
                first_bad_transaction=report.first_bad_transaction,
                seconds=(datetime.now(UTC) - started).total_seconds(),
            )
        except Exception as error:  # the page says so; the console keeps serving
            state = ChainState(checked_at=datetime.now(UTC), error=str(error).splitlines()[0])
        with self._lock:
            self._state = state
        self._done.set()
        return state

    def start(self) -> None:
        def run() -> None:
            while not self._stop.is_set():
                self.check_now()
                self._stop.wait(self._every)

        self._thread = threading.Thread(target=run, name="ledger-chain-verify", daemon=True)
        self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait for the first run (tests, the bench)."""
        return self._done.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
