"""The Spark job on a generated province: every planted case found with its amount, the
near miss (a person who moved county) not; the outputs name both counties, masked."""

import json

import pandas as pd

from ledger.demo.province import ProvinceResult
from ledger.province.job import DetectResult
from ledger.province.report import write_outputs
from tests.province.conftest import PERIOD


def _manifest(province: ProvinceResult) -> dict:
    return json.loads(province.manifest.read_text(encoding="utf-8"))


def test_every_planted_case_is_found_with_its_amount(
    province: ProvinceResult, detected: DetectResult
) -> None:
    found = detected.findings
    planted = _manifest(province)["planted"]
    assert {p["rule"] for p in planted} == {f"P0{k}" for k in range(1, 8)}
    for case in planted:
        hits = found[
            (found["rule"] == case["rule"])
            & (found["county_a"] == case["county_a"])
            & (found["county_b"] == case["county_b"])
        ]
        assert case["amount_fen"] in set(hits["amount_fen"]), (case, hits)
    # Nothing else: the random rosters hold no cross-county case by chance.
    assert len(found) == len(planted)
    assert found["amount_fen"].dtype == "int64"


def test_the_person_who_moved_county_is_no_finding(
    province: ProvinceResult, detected: DetectResult
) -> None:
    near = [m for m in _manifest(province)["near_misses"] if m["rule"] == "P01"]
    assert near
    found = detected.findings
    for miss in near:
        pair = {miss["county_a"], miss["county_b"]}
        same = found[found["rule"] == "P01"]
        assert not any(
            {a, b} == pair for a, b in zip(same["county_a"], same["county_b"], strict=True)
        )


def test_evidence_names_each_county_payment(detected: DetectResult) -> None:
    duplicate = detected.findings[detected.findings["rule"] == "P01"].iloc[0]
    paid = json.loads(duplicate["evidence"])
    assert {line["county"] for line in paid} == {duplicate["county_a"], duplicate["county_b"]}
    # The amount at risk is what the later enrolment paid, not the sum.
    later = [line["amount_fen"] for line in paid if line["county"] == duplicate["county_b"]]
    assert duplicate["amount_fen"] == sum(later)


def test_outputs_parquet_csv_html_zh_and_en(
    province: ProvinceResult, detected: DetectResult, tmp_path
) -> None:
    files = write_outputs(detected.findings, detected.manifests, tmp_path / "zh", period=PERIOD)
    assert [f.name for f in files] == ["findings.parquet", "findings.csv", "report.html"]
    back = pd.read_parquet(files[0])
    assert len(back) == len(detected.findings)
    assert back["amount_fen"].sum() == detected.findings["amount_fen"].sum()
    html = files[2].read_text(encoding="utf-8")
    assert "跨县重复享受" in html and "身份证号仅显示前6位和后4位" in html
    for county in province.counties:
        assert county in html
    en = write_outputs(
        detected.findings, detected.manifests, tmp_path / "en", period=PERIOD, lang="en"
    )[2].read_text(encoding="utf-8")
    assert "Same ID paid in two counties" in en and "跨县重复享受" not in en
    csv_text = files[1].read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("rule,title_zh,title_en,period,subject")
