"""One SparkSession and one generated province for the whole test session (CI time)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.demo.province import ProvinceResult, run_province
from ledger.province.job import DetectResult, detect, java_problem

PERIOD = "2026-05"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    problem = java_problem()
    if problem is not None:
        pytest.fail(problem)  # CI installs Java when missing: never a silent skip
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("ledger tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> ProvinceResult:
    root: Path = tmp_path_factory.mktemp("province")
    return run_province(root / "p", counties=3, recipients=40, period=PERIOD, seed=7)


@pytest.fixture(scope="session")
def detected(spark: Any, province: ProvinceResult) -> DetectResult:
    return detect(province.extracts, PERIOD, spark=spark)
