"""P03-P05 by near match: a list entry typed one digit wrong (region or sequence), same
name and birth date, is found as ``match: near`` with its amount; the decoys (IDs two
digits apart; one digit apart in the birth date) are not; exact matches say so. Under
``--ids full`` the evidence holds both IDs, masked in the outputs; a version 1 extract
(lists without linkage columns) is still read, its lists matched exactly; a death listed
twice is counted once."""

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.demo.province import DEMO_KEY, ProvinceResult
from ledger.files_util import sha256_of
from ledger.identity import mask
from ledger.province.job import DetectResult, detect
from ledger.province.report import prepare
from ledger.province.schema import TABLES, Hasher
from tests.province.conftest import PERIOD

HASHER = Hasher(DEMO_KEY)


def _key(id_number: str) -> str:
    key = HASHER.ids([id_number])[0]
    assert key is not None
    return key


def _near_cases(province: ProvinceResult) -> list[dict[str, Any]]:
    cases = [p for p in province.planted if p.get("match") == "near"]
    assert {c["rule"] for c in cases} == {"P03", "P04"}
    return cases


def _finding(found: pd.DataFrame, rule: str, id_number: str) -> pd.Series:
    hits = found[(found["rule"] == rule) & (found["subject"] == _key(id_number))]
    assert len(hits) == 1, (rule, hits)
    return hits.iloc[0]


def test_a_list_entry_typed_one_digit_wrong_is_a_near_match(
    province: ProvinceResult, detected: DetectResult
) -> None:
    for case in _near_cases(province):
        paid, listed = (s["id_number"] for s in case["subjects"])
        assert paid != listed and paid[6:14] == listed[6:14]  # same birth date
        assert sum(x != y for x, y in zip(paid[:17], listed[:17], strict=True)) == 1
        row = _finding(detected.findings, case["rule"], paid)
        assert (row["county_a"], row["county_b"]) == (case["county_a"], case["county_b"])
        assert row["amount_fen"] == case["amount_fen"]
        evidence = json.loads(row["evidence"])
        assert [e["match"] for e in evidence["listed"]] == ["near"]
        assert {line["county"] for line in evidence["paid"]} == {case["county_b"]}
        assert sum(line["amount_fen"] for line in evidence["paid"]) == case["amount_fen"]


def test_exact_list_matches_say_exact(province: ProvinceResult, detected: DetectResult) -> None:
    exact = [
        p
        for p in province.planted
        if p["rule"] in ("P03", "P04", "P05") and p.get("match") != "near"
    ]
    assert {p["rule"] for p in exact} == {"P03", "P04", "P05"}
    for case in exact:
        row = _finding(detected.findings, case["rule"], case["subjects"][0]["id_number"])
        assert [e["match"] for e in json.loads(row["evidence"])["listed"]] == ["exact"]


def _apart(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a[:17], b[:17], strict=True))


def test_the_decoys_are_not_matched(province: ProvinceResult, detected: DetectResult) -> None:
    decoys = [m for m in province.near_misses if m["rule"] == "P03"]
    assert len(decoys) == 3
    two_apart, birth, other_name = ([s["id_number"] for s in d["subjects"]] for d in decoys)
    assert _apart(*two_apart) == 2 and two_apart[0][6:14] == two_apart[1][6:14]
    assert _apart(*birth) == 1 and birth[0][6:14] != birth[1][6:14]
    assert _apart(*other_name) == 1 and other_name[0][6:14] == other_name[1][6:14]
    # Two digits apart, or one outside the 9 positions: no id_near value in common (the
    # birth date's digits are never blanked); the third shares one, but not the name.
    for pair, shared in ((two_apart, 0), (birth, 0), (other_name, 1)):
        near = HASHER.near(pair)
        assert near[0] is not None and near[1] is not None
        assert len(set(near[0]) & set(near[1])) == shared
    subjects = set(detected.findings["subject"])
    for decoy in decoys:
        assert _key(decoy["id_number"]) not in subjects


def _rewrite(folder: Path, table: str, frame: pd.DataFrame, version: int | None = None) -> None:
    """Write ``table`` of the extract in ``folder`` anew and make its manifest agree
    (an extract as another version of the ledger would have written it)."""
    schema = TABLES[table]
    if version == 1:
        schema = pa.schema([f for f in schema if f.name in frame.columns])
    path = folder / f"{table}.parquet"
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), path)
    manifest = folder / "manifest.json"
    document = json.loads(manifest.read_text(encoding="utf-8"))
    document["tables"][table].update(rows=len(frame), sha256=sha256_of(path))
    if version is not None:
        document["schema_version"] = version
    manifest.write_text(json.dumps(document), encoding="utf-8")


_V2_ONLY = {
    "deaths": ["id_near", "name_key", "birth_date", "id_number"],
    "staff": ["id_near", "name_key", "birth_date", "id_number"],
    "cadres": [
        "relative_id_near",
        "relative_name_key",
        "relative_birth_date",
        "relative_id_number",
    ],
}


@pytest.fixture(scope="module")
def full_mixed(
    spark: Any, province: ProvinceResult, tmp_path_factory: pytest.TempPathFactory
) -> DetectResult:
    """Every county extracted with --ids full; the second county's extract turned into a
    version 1 extract; the first county's deaths imported twice (every row twice)."""
    out = tmp_path_factory.mktemp("full") / "extracts"
    for code in province.counties:
        folder = province.directory / f"county-{code}"
        done = CliRunner().invoke(
            cli,
            [
                "--db",
                str(folder / "ledger.db"),
                "province",
                "extract",
                "--period",
                PERIOD,
                "--county",
                str(folder / "county.toml"),
                "--operator",
                "sun.audit",
                "--id-key",
                DEMO_KEY,
                "--ids",
                "full",
                "--out",
                str(out),
            ],
        )
        assert done.exit_code == 0, done.output
    first = out / f"county={province.counties[0]}" / f"period={PERIOD}"
    deaths = pd.read_parquet(first / "deaths.parquet")
    again = deaths.assign(import_id=deaths["import_id"] + 100, row_no=deaths["row_no"] + 100)
    _rewrite(first, "deaths", pd.concat([deaths, again], ignore_index=True))
    second = out / f"county={province.counties[1]}" / f"period={PERIOD}"
    for table in TABLES:
        frame = pd.read_parquet(second / f"{table}.parquet")
        _rewrite(second, table, frame.drop(columns=_V2_ONLY.get(table, [])), version=1)
    return detect(out, PERIOD, spark=spark)


def test_full_ids_masked_in_the_evidence_v1_lists_exact_and_no_double_count(
    province: ProvinceResult, detected: DetectResult, full_mixed: DetectResult
) -> None:
    cases = {c["rule"]: c for c in _near_cases(province)}
    death = cases["P03"]
    assert death["county_a"] == province.counties[0]  # listed by a version 2 extract
    paid, listed = (s["id_number"] for s in death["subjects"])
    row = _finding(full_mixed.findings, "P03", paid)
    assert row["amount_fen"] == death["amount_fen"]
    shown = json.loads(prepare(row.to_frame().T)["evidence"].iloc[0])
    # Listed twice (the registry imported twice): two entries, the amount once.
    assert [(e["match"], e["id_number"]) for e in shown["listed"]] == [("near", mask(listed))] * 2
    assert {line["id_number"] for line in shown["paid"]} == {mask(paid)}
    raw = json.loads(row["evidence"])
    assert raw["listed"][0]["id_number"] == listed  # clear before the outputs mask it
    # The relative is listed by the version 1 extract: no linkage columns, no near match.
    relative = cases["P04"]
    assert relative["county_a"] == province.counties[1]
    assert _key(relative["subjects"][0]["id_number"]) not in set(full_mixed.findings["subject"])

    # Everything else is found as from the hashed extracts, amounts not doubled by the
    # deaths imported twice.
    def keyed(frame: pd.DataFrame) -> set[tuple[str, str, int]]:
        return {
            (r, s, int(a))
            for r, s, a in zip(frame["rule"], frame["subject"], frame["amount_fen"], strict=True)
        }

    missed = ("P04", _key(relative["subjects"][0]["id_number"]), relative["amount_fen"])
    assert missed in keyed(detected.findings)
    assert keyed(full_mixed.findings) == keyed(detected.findings) - {missed}
    exact_death = next(
        p for p in province.planted if p["rule"] == "P03" and p.get("match") != "near"
    )
    twice = _finding(full_mixed.findings, "P03", exact_death["subjects"][0]["id_number"])
    assert len(json.loads(twice["evidence"])["listed"]) == 2  # both rows of the registry
    assert twice["amount_fen"] == exact_death["amount_fen"]
