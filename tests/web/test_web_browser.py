"""The console in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium;
no browser is ever downloaded). Screenshots go to test-artifacts/web/ (git-ignored;
LEDGER_TEST_ARTIFACTS moves them).

Without Chromium (or Playwright) the tests skip with the reason, unless
LEDGER_TEST_REQUIRE_BROWSER=1 makes that a failure.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.demo.roles import AUDITOR
from ledger.web.app import WebSettings
from tests.support.web import PASSWORDS, DemoLedger, serving

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _unavailable() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("LEDGER_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (LEDGER_TEST_REQUIRE_BROWSER=1 makes this a failure)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def base_url(demo_ledger: DemoLedger) -> Iterator[str]:
    with serving(demo_ledger.app(WebSettings(actions=True))) as url:
        yield url


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _sign_in(page: Any, name: str) -> None:
    page.fill("#name", name)
    page.fill("#password", PASSWORDS[name])
    page.click("#sign-in")


def _planted_finding(demo_ledger: DemoLedger) -> int:
    """A planted holder mismatch (D01: the bank refused the payee name), still open."""
    engine = demo_ledger.engines()[0]
    with engine.connect() as connection:
        found = connection.execute(
            sa.text(
                "SELECT MIN(id) FROM findings WHERE rule = 'D01' AND period = '2026-03'"
                " AND status = 'open' AND recipient_id IS NOT NULL"
            )
        ).scalar_one()
    engine.dispose()
    return int(found)


def test_a_logged_out_visit_is_sent_to_the_login_page(page: Any, artifacts_dir: Path) -> None:
    page.goto("/findings?period=2026-03")
    assert re.search(r"/login\?next=", page.url)
    assert page.locator("#sign-in").is_visible()
    page.screenshot(path=str(artifacts_dir / "01-login.png"))


def test_follow_a_planted_finding_to_the_bank_line_and_back_and_act_on_it(
    page: Any, demo_ledger: DemoLedger, artifacts_dir: Path
) -> None:
    finding = _planted_finding(demo_ledger)
    page.goto("/findings?period=2026-03")
    _sign_in(page, AUDITOR)
    assert "/findings?period=2026-03" in page.url  # back where the visit started
    page.select_option("select[name=rule]", "D01")
    page.click("#filter")
    page.screenshot(path=str(artifacts_dir / "02-findings.png"), full_page=True)
    page.click(f'#table-findings a[href="/findings/{finding}"] >> nth=0')
    assert page.url.endswith(f"/findings/{finding}")
    assert page.inner_text("#status") == "待处理"
    page.screenshot(path=str(artifacts_dir / "03-finding.png"), full_page=True)

    # To the payment instruction: its line of the bank file and the bank's answer.
    page.click("#trail a.instruction >> nth=0")
    assert "/instructions/" in page.url
    line = page.inner_text("#bank-line")
    assert "batch-" in line and re.search(r"\b\d{24}\b", page.inner_text("#end-to-end-id"))
    answers = page.inner_text("#table-bank_answers")
    assert "BE01" in answers and "failed" in answers
    assert page.locator("#table-postings tbody tr").count() >= 2
    page.screenshot(path=str(artifacts_dir / "04-instruction-bank-line.png"), full_page=True)

    # And back: the instruction lists the finding that cites it.
    page.click(f'#table-findings a[href="/findings/{finding}"] >> nth=0')
    assert page.url.endswith(f"/findings/{finding}")

    # A lifecycle action: assign it, with an owner and a due date.
    page.click("#action-assign")
    page.fill("#owner", "城关镇民政所 李四")
    page.fill("#due", "2026-12-31")
    page.fill("#note", "核实户名")
    page.click("#submit")
    assert page.url.endswith(f"/findings/{finding}")
    assert page.inner_text("#status") == "整改中"
    history = page.inner_text("#table-finding_events")
    assert "assign" in history and AUDITOR in history and "核实户名" in history
    page.screenshot(path=str(artifacts_dir / "05-finding-assigned.png"), full_page=True)

    # The person's history shows the finding in its new state.
    page.click("#person")
    assert "/people/R" in page.url
    row = page.locator(f'#table-findings tr:has(a[href="/findings/{finding}"])')
    assert "整改中" in row.inner_text()
    assert "********" in page.inner_text("#id-number")  # masked
    page.screenshot(path=str(artifacts_dir / "06-person-history.png"), full_page=True)


def test_an_auditor_cannot_reach_a_writing_form_of_another_role(
    page: Any, demo_ledger: DemoLedger, artifacts_dir: Path
) -> None:
    finding = _planted_finding(demo_ledger)
    page.goto("/login")
    _sign_in(page, AUDITOR)
    response = page.goto(f"/findings/{finding}/rectify")
    assert response is not None and response.status == 403
    assert "无权访问" in page.content()
    page.screenshot(path=str(artifacts_dir / "07-forbidden.png"))
    page.click("#logout")
    assert "/login" in page.url
    response = page.goto("/")
    assert "/login" in page.url
