"""The exception report, the approval sheet and the 公示 in a real headless browser
(Chromium from Debian's packages): screenshots and the page printed to PDF.

Skips with the reason when Chromium is not installed (CI installs it: .ci/run). The
screenshots, PDFs and HTML are kept as test artefacts in ``test-artifacts/browser/``
of the working tree (ignored by git), or in LEDGER_SCREENSHOT_DIR when it is set.
"""

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from ledger.county import example_path, load_county
from ledger.db.audit_reads import disclosure_rows
from ledger.db.uow import UnitOfWork
from ledger.documents import disclosure_context, render_disclosure
from ledger.findings import service
from ledger.findings.report import write_report
from ledger.sheets import render_sheet
from tests.support.findings import enrol, fund, pay_period, person, pid, refdata

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def artefact_dir() -> Path:
    keep = Path(os.environ.get("LEDGER_SCREENSHOT_DIR") or ARTEFACTS)
    keep.mkdir(parents=True, exist_ok=True)
    return keep


def chromium(tmp_path: Path) -> list[str]:
    return [
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


def shoot(tmp_path: Path, html: Path, height: int = 2000) -> None:
    """A PNG screenshot and a PDF print of ``html``, checked and kept as artefacts."""
    shot = html.with_suffix(".png")
    pdf = html.with_suffix(".pdf")
    for args in (
        [f"--screenshot={shot}", f"--window-size=1200,{height}"],
        [f"--print-to-pdf={pdf}", "--no-pdf-header-footer"],
    ):
        result = subprocess.run(
            [*chromium(tmp_path), *args, html.as_uri()],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    keep = artefact_dir()
    for path in (shot, pdf, html):
        shutil.copy(path, keep / path.name)


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
    dom = subprocess.run(
        [*chromium(tmp_path), "--dump-dom", html.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    text = dom.stdout.decode()
    assert "<svg" in text and "polyline" in text
    assert ("死亡后仍发放" if lang == "zh" else "Paid for a period after death") in text
    # The trend charts: a y scale, every x label (a whole period, 9 px type, at most
    # 40 px wide) inside its 380 px chart, the amounts printed (not only in tooltips).
    charts = re.findall(r'<svg[^>]*width="380".*?</svg>', text, re.S)
    assert charts
    for chart in charts:
        labels = re.findall(r'<text x="([\d.]+)" y="118"[^>]*>(\d{4}-\d{2})</text>', chart)
        assert labels and all(20 <= float(x) <= 360 for x, _ in labels)
        assert re.search(r'text-anchor="end">[\d,]+\.\d\d</text>', chart)  # y ticks
    assert text.count('<table class="trend">') == len(charts)
    shoot(tmp_path, html)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_approval_sheet_and_the_disclosure_list_render_and_print(engine, tmp_path):
    if engine.dialect.name != "sqlite":
        pytest.skip("one database is enough for the browser")
    build_findings(engine, tmp_path)
    county = load_county(example_path())
    with engine.connect() as connection:
        sheet = tmp_path / "sheet-zh.html"
        sheet.write_text(render_sheet(connection, county, 1, stage="draft"), encoding="utf-8")
        rows = disclosure_rows(connection, "2026-11")
        context = disclosure_context(rows, county, "2026-11", start=date(2026, 12, 1))
    gongshi = tmp_path / "gongshi-zh.html"
    gongshi.write_text(render_disclosure(context), encoding="utf-8")
    assert "公示期 2026-12-01 至 2026-12-07" in gongshi.read_text(encoding="utf-8")
    shoot(tmp_path, sheet, height=1600)
    shoot(tmp_path, gongshi, height=1600)
