"""Parse a GB18030 CSV bank return of 10^5 and 10^6 lines: seconds and peak memory.

    python bench/bench_returns.py [LINES ...]     (default: 100000 1000000)

Each size runs in a fresh child process so its peak RSS is its own.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATUSES = ("成功", "成功", "成功", "失败", "处理中")
REASONS = ("", "", "", "户名不符", "")


def write_return(path: Path, lines: int) -> None:
    total = 0
    rows = []
    for i in range(1, lines + 1):
        fen = 50000 + i % 9973
        total += fen
        k = i % 5
        rows.append(
            f"{i},龚䶮{i % 97},11010119900101{i % 10000:04d},62220202{i:011d},"
            f"{fen // 100}.{fen % 100:02d},2026年11月农村低保金,B202611DB{i:07d},"
            f"{STATUSES[k]},{REASONS[k]}"
        )
    titles = "序号,户名,身份证号,卡号,金额(元),摘要,业务流水号,状态,失败原因"
    header = f"总笔数,{lines},总金额(元),{total // 100}.{total % 100:02d}\r\n{titles}\r\n"
    path.write_bytes((header + "\r\n".join(rows) + "\r\n").encode("gb18030"))


def measure(path: Path) -> None:
    from ledger.files.returns import read_return

    start = time.perf_counter()
    result = read_return(path)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert not result.anomalies, result.anomalies
    print(
        f"{len(result.lines):>9,} lines  {path.stat().st_size / 2**20:7.1f} MiB  "
        f"parse {seconds:6.2f} s  peak RSS {peak_mib:7.0f} MiB"
    )


def main(argv: list[str]) -> None:
    if argv[:1] == ["--measure"]:
        measure(Path(argv[1]))
        return
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    with tempfile.TemporaryDirectory() as folder:
        for lines in sizes:
            path = Path(folder) / f"return-{lines}.csv"
            write_return(path, lines)
            subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True)
            path.unlink()


if __name__ == "__main__":
    main(sys.argv[1:])
