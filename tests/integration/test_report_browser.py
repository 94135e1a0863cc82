"""The exception report in a real headless browser (Chromium from Debian's packages).

Skips with the reason when Chromium is not installed (CI installs it: .ci/run). Set
LEDGER_SCREENSHOT_DIR to keep the screenshot for a human look.
"""

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from ledger.county import example_path, load_county
from ledger.db.uow import UnitOfWork
from ledger.findings import service
from ledger.findings.report import write_report
from tests.support.findings import enrol, fund, pay_period, person, pid, refdata

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def build_findings(engine, tmp_path: Path) -> None:
    """Two paid months, T02 growing 40%, a death, a proxy payee and a shared account."""
    t2 = {"township": "T02", "village": "V0201"}
    shared = "6217000000099990001"
    enrol(
        engine,
        [person(n) for n in range(1, 6)]
        + [person(n, **t2) for n in range(6, 11)]
        + [person(11, start_month="2026-11", account_holder="王代领")]
        + [person(n, start_month="2026-11", account_number=shared, **t2) for n in (12, 13)],
    )
    fund(engine, {"dibao_rural"})
    pay_period(engine, tmp_path, "2026-10")
    pay_period(engine, tmp_path, "2026-11")
    refdata(
        engine,
        "deaths",
        [{"id_number": pid(3), "name": "人3", "death_date": date(2026, 9, 2), "source": "公安"}],
    )
    with UnitOfWork(engine) as uow:
        service.detect(
            uow,
            load_county(example_path()),
            operator="auditor",
            period="2026-11",
            as_of=date(2026, 11, 20),
        )


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_html_report_renders_in_headless_chromium(engine, tmp_path, lang):
    if engine.dialect.name != "sqlite":
        pytest.skip("one database is enough for the browser")
    build_findings(engine, tmp_path)
    html = tmp_path / f"report-{lang}.html"
    with engine.connect() as connection:
        count = write_report(
            connection,
            load_county(example_path()),
            "2026-11",
            html,
            lang=lang,
            today=date(2026, 11, 20),
        )
    assert count >= 4
    shot = tmp_path / f"report-{lang}.png"
    common = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [*common, "--dump-dom", html.as_uri()], capture_output=True, timeout=120, check=False
    )
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    text = dom.stdout.decode()
    assert "<svg" in text and "polyline" in text
    assert ("死亡后仍发放" if lang == "zh" else "Paid for a period after death") in text
    result = subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1200,2000", html.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
    keep = os.environ.get("LEDGER_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
        shutil.copy(html, Path(keep) / html.name)
