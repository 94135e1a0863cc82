"""pyspark is loaded by the province job only: other commands do not pay for it."""

import subprocess
import sys


def test_the_cli_and_the_extract_do_not_import_pyspark() -> None:
    code = (
        "import sys, ledger.cli, ledger.province.extract, ledger.province.report, "
        "ledger.province.backport, ledger.demo.province; "
        "print('pyspark' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"
