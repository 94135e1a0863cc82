"""Bench how long the command line takes to start: `ledger --help`, `ledger batch list`.

    python bench/bench_startup.py              # 15 runs of each command, medians
    python bench/bench_startup.py --runs 30 --importtime

Each command runs in its own fresh interpreter (a subprocess, as a user types it), on a
SQLite ledger migrated once beforehand; the runs of the commands are interleaved so a
busy machine slows all of them alike. Printed: median, min and max wall time per command
and, as the floor, a bare ``python -c pass`` and ``import click, sqlalchemy``. With
``--importtime``, the ten slowest imports of ``import ledger.cli`` (``python -X
importtime``, cumulative microseconds) and whether pandas or alembic is among them.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("pandas", "numpy", "alembic", "openpyxl", "lxml", "jinja2", "pyarrow")


def ledger_command() -> list[str]:
    found = shutil.which("ledger", path=str(Path(sys.executable).parent))
    if found is None:  # not installed as a script: the same entry point through -c
        return [sys.executable, "-c", "from ledger.entry import main; main()"]
    return [found]


def run_once(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def import_profile(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import ledger.cli"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match.group(1)), len(match.group(2)) // 2, match.group(3)))
    top = sorted((r for r in rows if r[1] <= 2), reverse=True)[:10]
    print("slowest imports under `import ledger.cli` (cumulative ms):")
    for micros, depth, name in top:
        print(f"  {micros / 1000:8.1f}  {'  ' * depth}{name}")
    loaded = {name.split(".")[0] for _, _, name in rows}
    print("heavy modules imported:", ", ".join(m for m in HEAVY if m in loaded) or "none")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--importtime", action="store_true", help="also profile the imports")
    args = parser.parse_args()

    ledger = ledger_command()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ledger.db"
        env = {**os.environ, "LEDGER_DATABASE_URL": str(db)}
        env.pop("LEDGER_COUNTY", None)
        subprocess.run([*ledger, "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "import click, sqlalchemy": [sys.executable, "-c", "import click, sqlalchemy"],
            "ledger --help": [*ledger, "--help"],
            "ledger batch list": [*ledger, "batch", "list"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm the file cache once
            run_once(command, env)
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(run_once(command, env))
        print(f"{args.runs} runs each, interleaved (seconds):")
        print(f"  {'command':26} {'median':>7} {'min':>7} {'max':>7}")
        for name, values in times.items():
            print(
                f"  {name:26} {statistics.median(values):7.3f} "
                f"{min(values):7.3f} {max(values):7.3f}"
            )
        if args.importtime:
            import_profile(env)


if __name__ == "__main__":
    main()
