"""The province job (``ledger province detect``) over synthetic county extracts.

Writes extracts in the province format (``ledger.province.schema``, version 2) straight
from numpy/Arrow, without county ledgers: RECIPIENTS people spread over COUNTIES counties,
one enrolment and one settled instruction per person and month, MONTHS months, with
0.1% of the people also paid by a second county (P01), 0.05% paid under a second ID one
digit apart (P07: shared ``id_near``, same name key and birth date), 0.05% sharing an
account across counties (P02), and small death, staff and cadre lists (hits planted in
another county; half the deaths listed one digit off, found as near matches).
Then checks the manifests (SHA-256 of every file) and runs the Spark job for each month
in one session, and prints seconds, rows per second and findings per rule, with the
number planted. Usage:

    python bench/bench_province.py --recipients 200000 --months 1
    python bench/bench_province.py --recipients 10000000 --months 1 --master spark://h:7077
    python bench/bench_province.py --recipients 1000000 --months 12 --dir /data/bench
"""

import argparse
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ledger.province.job import detect, spark_session
from ledger.province.manifest import check_extracts, write_manifest
from ledger.province.schema import NEAR_POSITIONS, TABLES

HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hexes(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random 32-character hex strings (as the keyed hashes look), no Python loop."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    chars = np.empty((n, 32), dtype=np.uint8)
    chars[:, 0::2] = HEX[raw >> 4]
    chars[:, 1::2] = HEX[raw & 15]
    return pa.array(chars.reshape(-1).view("S32"), type=pa.binary(32)).cast(pa.string())


def take(array: pa.Array, index: np.ndarray) -> pa.Array:
    return array.take(pa.array(index))


def write(folder: Path, name: str, columns: dict[str, pa.Array]) -> int:
    schema = TABLES[name]
    n = len(next(iter(columns.values())))
    arrays = [
        columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type) for f in schema
    ]
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), folder / f"{name}.parquet")
    return n


def build(root: Path, counties: int, recipients: int, months: list[str], seed: int) -> dict:
    rng = np.random.default_rng(seed)
    codes = [f"13{k + 1:04d}" for k in range(counties)]
    per = recipients // counties
    n = per * counties
    id_key, name_key, account = hexes(rng, n), hexes(rng, n), hexes(rng, n)
    near = hexes(rng, n * len(NEAR_POSITIONS))
    birth = pa.array(rng.integers(-14000, 18000, n).astype("datetime64[D]"))
    county_of = np.repeat(np.arange(counties), per)
    # Plants, by person index (a person of county c is also paid in county c+1).
    dup = rng.choice(n, size=max(n // 1000, 1), replace=False)
    twin = np.sort(
        rng.choice(np.setdiff1d(np.arange(n), dup), size=max(n // 2000, 1), replace=False)
    )
    shared = rng.choice(np.setdiff1d(np.arange(n), np.r_[dup, twin]), size=max(n // 2000, 2))
    planted = {"P01": len(dup), "P07": len(twin), "P02": len(shared) // 2}
    acc = account.to_numpy(zero_copy_only=False).copy()
    pairs = shared[: len(shared) // 2 * 2].reshape(-1, 2)
    pairs = pairs[county_of[pairs[:, 0]] != county_of[pairs[:, 1]]]
    planted["P02"] = len(pairs)
    acc[pairs[:, 1]] = acc[pairs[:, 0]]
    account = pa.array(acc, type=pa.string())
    twin_key = hexes(rng, len(twin))
    rows = 0
    for c, code in enumerate(codes):
        own = np.flatnonzero(county_of == c)
        guests_dup = dup[county_of[dup] == (c - 1) % counties]
        guests_twin = twin[county_of[twin] == (c - 1) % counties]
        people = np.r_[own, guests_dup]
        keys = pa.concat_arrays(
            [take(id_key, people), take(twin_key, np.searchsorted(twin, guests_twin))]
        )
        index = np.r_[people, guests_twin]
        m = len(index)
        # A twin (second ID) banks elsewhere: only P07 links the two.
        accounts = pa.concat_arrays([take(account, people), hexes(rng, len(guests_twin))])
        offsets = pa.array(np.arange(0, (m + 1) * 9, 9, dtype=np.int32))
        near_index = (index[:, None] * 9 + np.arange(9)).reshape(-1)
        recipient_key = pa.array([f"R{i:07d}" for i in range(1, m + 1)])
        county = pa.array([code] * m)
        for period in months:
            folder = root / f"county={code}" / f"period={period}"
            folder.mkdir(parents=True)
            counts = {
                "recipients": write(
                    folder,
                    "recipients",
                    {
                        "county": county,
                        "recipient_key": recipient_key,
                        "id_key": keys,
                        "id_near": pa.ListArray.from_arrays(offsets, take(near, near_index)),
                        "name_key": take(name_key, index),
                        "birth_date": take(birth, index),
                    },
                ),
                "enrolments": write(
                    folder,
                    "enrolments",
                    {
                        "county": county,
                        "recipient_key": recipient_key,
                        "program": pa.array(["dibao_rural"] * m),
                        "township": pa.array(["T01"] * m),
                        "amount_fen": pa.array(np.full(m, 50_000, dtype=np.int64)),
                        "status": pa.array(["active"] * m),
                        "start_month": pa.array(
                            np.where(np.arange(m) < len(own), "2020-01", "2025-06")
                        ),
                        "account_key": accounts,
                    },
                ),
                "instructions": write(
                    folder,
                    "instructions",
                    {
                        "county": county,
                        "period": pa.array([period] * m),
                        "instruction_id": pa.array(np.arange(1, m + 1, dtype=np.int64)),
                        "batch_id": pa.array(np.ones(m, dtype=np.int64)),
                        "batch_state": pa.array(["reconciled"] * m),
                        "program": pa.array(["dibao_rural"] * m),
                        "recipient_key": recipient_key,
                        "township": pa.array(["T01"] * m),
                        "amount_fen": pa.array(np.full(m, 50_000, dtype=np.int64)),
                        "bank": pa.array(["ICBC"] * m),
                        "account_key": accounts,
                        "status": pa.array(["settled"] * m),
                    },
                ),
            }
            lists = max(per // 1000, 1)
            other = np.flatnonzero(county_of == (c + 1) % counties)[:lists]
            # The lists' linkage columns: the listed people's; the second half of the
            # deaths is listed one digit off (another id_key, one id_near value shared).
            linked = {
                "id_key": take(id_key, other),
                "id_near": pa.ListArray.from_arrays(
                    pa.array(np.arange(0, (lists + 1) * 9, 9, dtype=np.int32)),
                    take(near, (other[:, None] * 9 + np.arange(9)).reshape(-1)),
                ),
                "name_key": take(name_key, other),
                "birth_date": take(birth, other),
            }
            half = lists // 2
            off = np.arange(lists) >= half
            typed_near = np.asarray(linked["id_near"].flatten(), dtype=object).reshape(-1, 9)
            fresh = np.asarray(hexes(rng, lists * 8), dtype=object).reshape(-1, 8)
            typed_near[off, 1:] = fresh[off]
            typed_key = np.asarray(linked["id_key"], dtype=object).copy()
            typed_key[off] = np.asarray(hexes(rng, int(off.sum())), dtype=object)
            dead = {
                **linked,
                "id_key": pa.array(typed_key, type=pa.string()),
                "id_near": pa.ListArray.from_arrays(
                    linked["id_near"].offsets, pa.array(typed_near.reshape(-1), type=pa.string())
                ),
            }
            for name, columns in (
                ("deaths", {**dead, "source": pa.array(["公安"] * lists)}),
                ("staff", {**linked, "employer": pa.array(["局"] * lists)}),
                (
                    "staff_accounts",
                    {"id_key": take(id_key, other), "account_key": hexes(rng, lists)},
                ),
                ("cadres", {"cadre_id_key": hexes(rng, lists), "filed": pa.array([True] * lists)}),
            ):
                columns["county"] = pa.array([code] * lists)
                if name == "deaths":
                    columns["death_date"] = pa.array(np.full(lists, "2000-01-01", "datetime64[D]"))
                counts[name] = write(folder, name, columns)
            write_manifest(
                folder,
                county=code,
                period=period,
                policy="hashed",
                key_fingerprint="bench",
                chain={"transaction_id": 1, "hash": "0" * 64, "transactions": 1},
                rows=counts,
                operator="bench",
                now=datetime.now(UTC),
            )
            rows += sum(counts.values())
    planted["P03"] = planted["P05"] = lists * counties
    return {"planted": planted, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=200_000)
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--master", default=None, help="Spark master (default local[*])")
    parser.add_argument("--shuffle-partitions", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None, help="where the extracts go")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    months = [f"2026-{m:02d}" for m in range(1, args.months + 1)]
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench_province_"))
    try:
        started = time.perf_counter()
        built = build(root, args.counties, args.recipients, months, args.seed)
        size = sum(f.stat().st_size for f in root.rglob("*.parquet"))
        print(
            f"extracts: {args.counties} counties x {args.recipients:,} recipients x "
            f"{args.months} month(s): {built['rows']:,} rows, {size / 2**20:.0f} MiB Parquet, "
            f"written in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        for period in months:
            check_extracts(root, period)
        print(f"manifest checks (SHA-256 of every file): {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        spark = spark_session(args.master, shuffle_partitions=args.shuffle_partitions)
        spark.sparkContext.setLogLevel("ERROR")
        print(f"Spark session ({spark.sparkContext.master}): {time.perf_counter() - started:.1f} s")
        total = 0.0
        for period in months:
            started = time.perf_counter()
            result = detect(root, period, spark=spark)
            seconds = time.perf_counter() - started
            total += seconds
            by_rule = result.findings.groupby("rule").size().to_dict()
            print(
                f"{period}: {seconds:.1f} s, {args.recipients / seconds:,.0f} recipients/s; "
                f"findings {by_rule}"
            )
        spark.stop()
        print(f"planted per month: {built['planted']}")
        print(
            f"detect total {total:.1f} s over {args.months} month(s); driver peak RSS "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
