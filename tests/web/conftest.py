import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.support.web import PASSWORDS, DemoLedger, build_demo_ledger


@pytest.fixture(scope="package")
def demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> DemoLedger:
    return build_demo_ledger(tmp_path_factory.mktemp("web") / "county")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, name: str, password: str | None = None) -> str:
    """Sign in; return the session's CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"csrf": csrf_of(page), "name": name, "password": password or PASSWORDS[name]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_of(client.get("/").get_data(as_text=True))


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots of the browser tests (git-ignored): test-artifacts/web/."""
    import os

    path = Path(os.environ.get("LEDGER_TEST_ARTIFACTS", "test-artifacts")) / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path
