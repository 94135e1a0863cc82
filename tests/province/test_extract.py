"""The county extract: manifest, chain head, ID policies, refusals of altered or mixed
extracts, the auditor's role; and the Java check, in a process without Java."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger.cli import cli
from ledger.demo.province import DEMO_KEY, ProvinceResult
from ledger.errors import LedgerError
from ledger.province.manifest import check_extracts
from tests.province.conftest import PERIOD


def _county(province: ProvinceResult, k: int = 0) -> Path:
    return province.directory / f"county-{province.counties[k]}"


def _extract(province: ProvinceResult, out: Path, *more: str, operator: str = "sun.audit"):
    folder = _county(province)
    return CliRunner().invoke(
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
            operator,
            "--id-key",
            DEMO_KEY,
            "--out",
            str(out),
            *more,
        ],
    )


def test_manifest_holds_rows_hashes_and_the_chain_head(province: ProvinceResult) -> None:
    manifests = check_extracts(province.extracts, PERIOD)
    assert [m["county"] for m in manifests] == province.counties
    first = manifests[0]
    assert first["schema_version"] == 2 and first["id_policy"] == "hashed"
    engine = sa.create_engine(f"sqlite:///{_county(province) / 'ledger.db'}")
    with engine.connect() as connection:
        last_id, last_hash = connection.exec_driver_sql(
            "SELECT id, hash FROM transactions ORDER BY id DESC LIMIT 1"
        ).one()
        paid = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM payment_instructions i JOIN batches b ON b.id = i.batch_id "
            "WHERE b.period = ?",
            (PERIOD,),
        ).scalar_one()
    engine.dispose()
    assert first["chain_head"] == {
        "transaction_id": last_id,
        "hash": last_hash,
        "transactions": last_id,
        "verified": True,
    }
    assert first["tables"]["instructions"]["rows"] == paid
    recipients = pd.read_parquet(Path(first["folder"]) / "recipients.parquet")
    assert recipients["id_number"].isna().all() and recipients["name"].isna().all()
    assert recipients["id_key"].str.fullmatch(r"[0-9a-f]{32}").all()


def test_an_altered_extract_is_refused(province: ProvinceResult, tmp_path: Path) -> None:
    copy = tmp_path / "extracts"
    shutil.copytree(province.extracts, copy)
    target = copy / f"county={province.counties[1]}" / f"period={PERIOD}" / "instructions.parquet"
    frame = pd.read_parquet(target)
    frame.loc[0, "amount_fen"] = 1
    frame.to_parquet(target, index=False)
    with pytest.raises(LedgerError, match=r"instructions.parquet: SHA-256 does not match"):
        check_extracts(copy, PERIOD)


def test_extracts_of_different_keys_are_refused(province: ProvinceResult, tmp_path: Path) -> None:
    copy = tmp_path / "extracts"
    shutil.copytree(province.extracts, copy)
    path = copy / f"county={province.counties[0]}" / f"period={PERIOD}" / "manifest.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["key_fingerprint"] = "0" * 16
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(LedgerError, match="differ in key_fingerprint"):
        check_extracts(copy, PERIOD)


def test_full_policy_carries_clear_ids_and_the_command_needs_an_auditor(
    province: ProvinceResult, tmp_path: Path
) -> None:
    refused = _extract(province, tmp_path / "no", operator="li.finance")
    assert refused.exit_code == 1
    assert "'li.finance' needs role auditor, holds finance_maker" in refused.output
    assert not (tmp_path / "no").exists()
    done = _extract(province, tmp_path / "full", "--ids", "full")
    assert done.exit_code == 0, done.output
    folder = tmp_path / "full" / f"county={province.counties[0]}" / f"period={PERIOD}"
    recipients = pd.read_parquet(folder / "recipients.parquet")
    assert recipients["id_number"].str.fullmatch(r"\d{17}[\dX]").all()
    hashed = pd.read_parquet(
        province.extracts
        / f"county={province.counties[0]}"
        / f"period={PERIOD}"
        / "recipients.parquet"
    )
    # The same key gives the same id_key whatever the policy.
    assert list(recipients["id_key"]) == list(hashed["id_key"])


def test_detect_without_java_says_so_in_one_line(province: ProvinceResult, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # no java here
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ledger.entry import main; main()",
            "province",
            "detect",
            "--extracts",
            str(province.extracts),
            "--period",
            PERIOD,
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: Java was not found (no JAVA_HOME, no java on PATH): ledger province detect "
        "runs Apache Spark, which needs Java 17 or later (e.g. apt-get install "
        "openjdk-17-jre-headless, or set JAVA_HOME)"
    ]
    env["JAVA_HOME"] = str(tmp_path / "jdk")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ledger.entry import main; main()",
            "province",
            "detect",
            "--extracts",
            str(province.extracts),
            "--period",
            PERIOD,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "JAVA_HOME is" in result.stderr
    assert not (tmp_path / "out").exists()
