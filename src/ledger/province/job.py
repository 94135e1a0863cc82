"""``ledger province detect``: the Spark job over every county's extract of a period.

The manifests are checked first (``ledger.province.manifest``); Java is looked for
before Spark starts, so a machine without it gets one line, not a JVM traceback.
``pyspark`` is imported here only, inside the functions: the other commands never load
it. Spark runs ``local[*]`` unless ``master`` names a cluster (``spark://host:7077``,
``yarn``, ``k8s://...``); the extracts must then be on storage every executor reads.
"""

import os
import shutil
import subprocess
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ledger.batches import parse_period, period_start
from ledger.errors import LedgerError
from ledger.province.manifest import check_extracts
from ledger.province.schema import TABLES

# Spark types of the columns an older extract version may lack.
_SPARK = {pa.string(): "string", pa.list_(pa.string()): "array<string>", pa.date32(): "date"}


@dataclass
class DetectResult:
    findings: pd.DataFrame
    manifests: list[dict[str, Any]]


def java_problem() -> str | None:
    """Why Spark cannot start here (no Java 17+), or None."""
    home = os.environ.get("JAVA_HOME")
    java = None
    if home:
        candidate = Path(home) / "bin" / "java"
        java = str(candidate) if candidate.is_file() else None
        if java is None:
            return (
                f"JAVA_HOME is {home} but {candidate} does not exist: ledger province detect "
                "runs Apache Spark, which needs Java 17 or later (e.g. apt-get install "
                "openjdk-17-jre-headless) and JAVA_HOME pointing at it"
            )
    java = java or shutil.which("java")
    if java is None:
        return (
            "Java was not found (no JAVA_HOME, no java on PATH): ledger province detect runs "
            "Apache Spark, which needs Java 17 or later (e.g. apt-get install "
            "openjdk-17-jre-headless, or set JAVA_HOME)"
        )
    try:
        probe = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as error:
        return f"{java} -version failed ({error}): Spark needs Java 17 or later"
    text = probe.stderr + probe.stdout
    version = text.split('"')[1] if '"' in text else ""
    major = version.split(".")[0]
    if major.isdigit() and int(major) < 17:
        return f"{java} is Java {version}: Spark 4 needs Java 17 or later"
    return None


def spark_session(
    master: str | None,
    *,
    shuffle_partitions: int | None = None,
    app_name: str = "ledger province detect",
) -> Any:
    """A SparkSession (``local[*]`` by default), after the Java check. In local mode the
    shuffles get one partition per core unless told (Spark's 200 only cost time on one
    machine); on a cluster Spark's setting stands unless ``shuffle_partitions`` is given."""
    problem = java_problem()
    if problem is not None:
        raise LedgerError(problem)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise LedgerError(
            "pyspark is not installed: pip install 'ledger[province]' (Apache Spark)"
        ) from None
    builder = (
        SparkSession.builder.master(master or "local[*]")
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if shuffle_partitions is None and (master or "local").startswith("local"):
        shuffle_partitions = max(os.cpu_count() or 2, 2)
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    with warnings.catch_warnings():
        # pyspark warns that it does not fully support pandas 3; toPandas over Arrow,
        # all the job uses, is tested here (tests/province).
        warnings.simplefilter("ignore", FutureWarning)
        return builder.getOrCreate()


def load_tables(spark: Any, manifests: list[dict[str, Any]]) -> dict[str, Any]:
    """Each table of every county's extract as one Spark DataFrame with the current
    schema's columns. Files are read per schema version (one read of mixed schemas would
    take one file's columns): a column an older version lacks (the lists' linkage columns
    of version 1) is null, so those lists match by exact ID only."""
    from pyspark.sql import functions as F

    versions = sorted({int(m["schema_version"]) for m in manifests})
    tables = {}
    for name, schema in TABLES.items():
        parts = []
        for version in versions:
            files = [
                str(Path(m["folder"]) / m["tables"][name]["file"])
                for m in manifests
                if int(m["schema_version"]) == version
            ]
            frame = spark.read.parquet(*files)
            for field in schema:
                if field.name not in frame.columns:
                    frame = frame.withColumn(field.name, F.lit(None).cast(_SPARK[field.type]))
            parts.append(frame.select(*schema.names))
        table = parts[0]
        for part in parts[1:]:
            table = table.unionByName(part)
        tables[name] = table
    return tables


def detect(
    extracts: Path,
    period: str,
    *,
    spark: Any = None,
    master: str | None = None,
    shuffle_partitions: int | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> DetectResult:
    """Check the manifests, run every rule, collect the findings (small) to pandas."""
    period = parse_period(period)
    progress("checking the extracts' manifests")
    manifests = check_extracts(extracts, period)
    own = spark is None
    if own:
        progress("starting Spark")
        spark = spark_session(master, shuffle_partitions=shuffle_partitions)
    from ledger.province.rules import FINDING_COLUMNS, all_rules

    try:
        progress(f"running the rules over {len(manifests)} counties")
        tables = load_tables(spark, manifests)
        found = all_rules(tables, period_start(period).isoformat())
        with warnings.catch_warnings():
            # pandas 3 deprecations inside pyspark's own conversion code.
            warnings.filterwarnings("ignore", module=r"pyspark\.")
            warnings.simplefilter("ignore", FutureWarning)
            frame = found.toPandas()
    finally:
        if own:
            spark.stop()
    frame = frame.reindex(columns=FINDING_COLUMNS)
    frame.insert(1, "period", period)
    frame["amount_fen"] = frame["amount_fen"].astype("int64")
    frame["people"] = frame["people"].astype("int64")
    frame = frame.sort_values(["rule", "county_a", "county_b", "subject"], ignore_index=True)
    return DetectResult(frame, manifests)
