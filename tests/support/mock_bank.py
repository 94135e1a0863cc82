"""The counterparty: mock-bank (PyPI ``mock-bank``) as a subprocess on 127.0.0.1.

``mock_bank`` starts a fresh bank per test on a free loopback port with a pinned clock,
waits for ``/_mock/health``, and always stops it (terminate, then kill after 5 s).
``MockBank`` wraps the few endpoints the tests use. See docs/mock-bank.md.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

BANK_CLOCK = "2026-11-02T09:00"  # a Monday, before the 15:00 cutoff
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0


def internal_iban(bban: str, country: str = "CN") -> str:
    """A syntactically valid IBAN (mod-97 check digits) for a non-IBAN account.

    mock-bank keys every account it holds by an IBAN; Chinese accounts have none, so the
    tests give each held account ``CNkk MOCK <number>`` and its real number as
    ``account_number``, which is what our pain.001 names (``Othr/Id``).
    """
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


class MockBank:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        request = urllib.request.Request(self.base_url + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8")

    def json(
        self, method: str, path: str, payload: Any = None, ok: tuple[int, ...] = (200, 201, 202)
    ) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        status, answer = self.request(method, path, body)
        assert status in ok, f"{method} {path}: {status} {answer}"
        return answer

    def open_account(self, identifier: str, account_number: str, name: str, **fields: Any) -> Any:
        """A CNY account held by the bank, found by its domestic number (``Othr/Id``)."""
        payload = {
            "id": identifier,
            "name": name,
            "currency": "CNY",
            "iban": internal_iban("MOCK" + account_number[-16:].zfill(16)),
            "account_number": account_number,
            **fields,
        }
        return self.json("POST", "/_mock/accounts", payload)

    def send_payments(self, pain001: bytes) -> Any:
        status, answer = self.request("POST", "/payments", pain001, "application/xml")
        assert status in (202, 422), f"POST /payments: {status} {answer}"
        return answer

    def advance(self, to: str) -> Any:
        return self.json("POST", f"/_mock/advance?to={to}")

    def collect(self, type_prefix: str = "") -> list[dict[str, Any]]:
        """Take every released message (optionally of one type) from the mailbox."""
        query = f"?type={type_prefix}" if type_prefix else ""
        answer: list[dict[str, Any]] = self.json("GET", f"/_mock/mailbox{query}")
        return answer


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mock-bank exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/_mock/health", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise RuntimeError(f"mock-bank not ready after {START_TIMEOUT_S} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture
def mock_bank(tmp_path: Any) -> Iterator[MockBank]:
    """A fresh mock bank on a free 127.0.0.1 port; stopped after the test, whatever happens."""
    last_error: Exception | None = None
    for _attempt in range(3):  # the free port can be taken between probe and bind
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = open(tmp_path / f"mock-bank-{port}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mockbank",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--clock",
                BANK_CLOCK,
                "--db",
                ":memory:",
                "-q",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(process, base_url)
        except RuntimeError as error:
            last_error = error
            _stop(process)
            log.close()
            continue
        try:
            yield MockBank(base_url)
        finally:
            _stop(process)
            log.close()
        return
    raise RuntimeError(f"mock-bank did not start: {last_error}")
