"""The hash chain's state for the overview: verified in the background, never on a page.

Recomputing the journal (``ledger.db.verify``) reads every posting, which at county size
takes far longer than a page may. The console verifies once when it starts and again
every ``every_minutes``, and the overview says what the last run found and when
("verified as of"). The verification runs in a process of its own
(``ledger.web.chain_child``), which a daemon thread waits for: hashing millions of
postings in the server's own interpreter would hold its lock and slow every page while
it runs. A ledger only this process can see (SQLite in memory) is verified in the thread.
"""

import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from ledger.db.engine import engine_url
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
            found = self._verify()
            if "error" in found:
                raise RuntimeError(found["error"])
            state = ChainState(
                checked_at=datetime.now(UTC),
                ok=bool(found["ok"]),
                transactions=int(found["transactions"]),
                postings=int(found["postings"]),
                first_bad_transaction=found["first_bad_transaction"],
                seconds=(datetime.now(UTC) - started).total_seconds(),
            )
        except Exception as error:  # the page says so; the console keeps serving
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            state = ChainState(checked_at=datetime.now(UTC), error=message)
        with self._lock:
            self._state = state
        self._done.set()
        return state

    def _verify(self) -> dict[str, Any]:
        url = self._engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            with self._engine.connect() as connection:
                report = verify(connection)
            return {
                "ok": report.ok,
                "transactions": report.transactions_checked,
                "postings": report.postings_checked,
                "first_bad_transaction": report.first_bad_transaction,
            }
        done = subprocess.run(
            [sys.executable, "-m", "ledger.web.chain_child"],
            input=json.dumps({"url": engine_url(self._engine)}),
            capture_output=True,
            text=True,
            check=False,
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {"error": f"the verification process failed: {tail}"}
        result: dict[str, Any] = json.loads(lines[-1])
        return result

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
