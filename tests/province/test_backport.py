"""The province's findings imported back into a county's findings, source province."""

import json
import shutil
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from ledger.cli import cli
from ledger.demo.province import ProvinceResult
from ledger.province.job import DetectResult
from ledger.province.report import write_outputs
from tests.province.conftest import PERIOD


def _copy_county(province: ProvinceResult, code: str, tmp_path: Path) -> Path:
    folder = tmp_path / code
    shutil.copytree(province.directory / f"county-{code}", folder)
    return folder


def _run(folder: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(folder / "ledger.db"), *args])


def test_each_county_gets_its_side_of_the_findings(
    province: ProvinceResult, detected: DetectResult, tmp_path: Path
) -> None:
    findings_file = write_outputs(
        detected.findings, detected.manifests, tmp_path / "out", period=PERIOD
    )[0]
    planted = json.loads(province.manifest.read_text(encoding="utf-8"))["planted"]
    duplicate = next(p for p in planted if p["rule"] == "P01")
    later = _copy_county(province, duplicate["county_b"], tmp_path)
    imported = _run(
        later,
        "province",
        "import",
        str(findings_file),
        "--county",
        str(later / "county.toml"),
        "--operator",
        "sun.audit",
    )
    assert imported.exit_code == 0, imported.output
    again = _run(
        later,
        "province",
        "import",
        str(findings_file),
        "--county",
        str(later / "county.toml"),
        "--operator",
        "sun.audit",
    )
    assert again.exit_code == 0, again.output
    engine = sa.create_engine(f"sqlite:///{later / 'ledger.db'}")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT rule, amount_fen, source, status, evidence FROM findings "
            "WHERE source = 'province' ORDER BY rule, amount_fen"
        ).all()
        county_rules = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM findings WHERE source = 'county'"
        ).scalar_one()
    engine.dispose()
    p01 = [r for r in rows if r.rule == "P01"]
    assert duplicate["amount_fen"] in [r.amount_fen for r in p01]
    assert {r.status for r in rows} == {"open"}
    assert county_rules == 0  # the demo county ran no county rules: nothing else changed
    mine = next(r for r in p01 if r.amount_fen == duplicate["amount_fen"])
    assert json.loads(mine.evidence)["province"]["county_a"] == duplicate["county_a"]
    # Imported twice: stored once.
    assert len(rows) == len({(r.rule, r.evidence) for r in rows})
    # The county of the original enrolment is told, with nothing at risk there.
    original = _copy_county(province, duplicate["county_a"], tmp_path)
    result = _run(
        original,
        "province",
        "import",
        str(findings_file),
        "--county",
        str(original / "county.toml"),
        "--operator",
        "sun.audit",
    )
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(f"sqlite:///{original / 'ledger.db'}")
    with engine.connect() as connection:
        amounts = (
            connection.exec_driver_sql(
                "SELECT amount_fen FROM findings WHERE rule = 'P01' AND source = 'province'"
            )
            .scalars()
            .all()
        )
        finding_id = connection.exec_driver_sql("SELECT MIN(id) FROM findings").scalar_one()
    engine.dispose()
    assert 0 in amounts
    # The exception report shows them; verify says the province decides.
    report = _run(
        original,
        "report",
        "exceptions",
        "--period",
        PERIOD,
        "--county",
        str(original / "county.toml"),
        "--out",
        str(tmp_path / "exceptions.html"),
    )
    assert report.exit_code == 0, report.output
    assert "P01" in (tmp_path / "exceptions.html").read_text(encoding="utf-8")
    verify = _run(
        original,
        "findings",
        "verify",
        str(finding_id),
        "--county",
        str(original / "county.toml"),
        "--operator",
        "sun.audit",
    )
    assert verify.exit_code == 1
    assert "comes from the province's cross-county job" in verify.output


def test_import_needs_an_auditor(
    province: ProvinceResult, detected: DetectResult, tmp_path: Path
) -> None:
    findings_file = write_outputs(
        detected.findings, detected.manifests, tmp_path / "out", period=PERIOD
    )[0]
    folder = _copy_county(province, province.counties[0], tmp_path)
    refused = _run(
        folder,
        "province",
        "import",
        str(findings_file),
        "--county",
        str(folder / "county.toml"),
        "--operator",
        "zhao.civil",
    )
    assert refused.exit_code == 1
    assert "'zhao.civil' needs role auditor, holds civil_affairs" in refused.output
