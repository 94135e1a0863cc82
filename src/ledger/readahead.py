"""Reading ahead in a worker process: a generator's items, produced one step ahead.

A roster import spends about as long in Python (reading a chunk of the file and
validating it) as in the database (staging the chunk). Threads do not overlap the two:
the validation holds the GIL. A second process does: it runs the generator and sends
each item through a pipe while the caller works on the previous one. The pipe is the
bound on memory: the worker blocks once it is one item ahead.

The worker is a fresh interpreter (``python -c`` with ``_BOOT``), not a fork, so it
inherits no threads, locks or database connections, and never re-runs the caller's
``__main__``. It receives the caller's ``sys.path`` (so it imports the same code), then
the generator function and its arguments, pickled on stdin, and answers on its stdout
with pickled messages: ``("item", value)`` for each item, then ``("done", None)``, or
``("raise", exception)``. Anything the worker prints goes to stderr. An exception
raised by the generator is raised again in the caller; a worker that dies is reported
as a ``WorkerError``.
"""

import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_PROTOCOL = pickle.HIGHEST_PROTOCOL


class WorkerError(RuntimeError):
    """The worker process failed without saying why in a message (it crashed, was
    killed, or raised an exception that could not be sent)."""


class ReadAhead(Iterator[T]):
    """The items of ``function(*args)``, computed in a worker process one item ahead.

    ``function`` must be a module-level generator function; it and ``args`` are pickled.
    Use as an iterator; leaving early (``close()``, an exception, garbage collection)
    stops the worker.
    """

    def __init__(self, function: Callable[..., Iterator[T]], *args: Any) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._messages = self._process.stdout
        try:
            pickle.dump(sys.path, self._process.stdin, protocol=_PROTOCOL)
            pickle.dump((function, args), self._process.stdin, protocol=_PROTOCOL)
            self._process.stdin.close()
        except BaseException:
            self.close()
            raise
        self._finished = False

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        try:
            kind, payload = pickle.load(self._messages)
        except EOFError:
            code = self.close()
            raise WorkerError(
                f"the read-ahead worker process ended without finishing (exit status {code}); "
                "its error, if any, is printed above"
            ) from None
        except BaseException:
            self.close()
            raise
        if kind == "item":
            return payload
        self._end(kill=False)  # the worker has said its last word and is exiting
        if kind == "raise":
            raise payload
        raise StopIteration

    def close(self) -> int:
        """Stop the worker if it still runs; its exit status."""
        return self._end(kill=True)

    def _end(self, *, kill: bool) -> int:
        self._finished = True
        if kill and self._process.poll() is None:
            self._process.kill()
        try:
            code = self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        self._messages.close()
        return code

    def __del__(self) -> None:
        if getattr(self, "_process", None) is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


# The worker's first words: the caller's import path, then this module's ``worker``.
_BOOT = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from ledger.readahead import worker; worker()"
)


def worker() -> None:
    """The worker's side (``_BOOT`` calls it)."""
    try:
        _serve()
    except BrokenPipeError:
        # The caller stopped reading (it left early); nothing is waiting for an answer.
        os._exit(1)
    except KeyboardInterrupt:
        # Ctrl-C reaches the whole process group: the caller reports it, not us.
        os._exit(130)


def _serve() -> None:
    """Run the job from stdin, send its items on the original stdout."""
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a print() anywhere in the job must not corrupt the channel
    function, args = pickle.load(sys.stdin.buffer)
    try:
        for item in function(*args):
            pickle.dump(("item", item), channel, protocol=_PROTOCOL)
            channel.flush()
    except Exception as error:  # sent to the caller, which raises it again
        try:
            message = pickle.dumps(("raise", error), protocol=_PROTOCOL)
            pickle.loads(message)
        except Exception:
            traceback.print_exc()
            message = pickle.dumps(
                ("raise", WorkerError(f"{type(error).__name__}: {error}")), protocol=_PROTOCOL
            )
        channel.write(message)
    else:
        pickle.dump(("done", None), channel, protocol=_PROTOCOL)
    channel.flush()
