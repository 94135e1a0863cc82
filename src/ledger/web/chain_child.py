"""The console's chain verification, in a process of its own (``ledger.web.chain``).

Reads ``{"url": ...}`` on stdin (the URL is never on a command line), verifies the
journal through a read-only connection and prints one JSON line: the counts, ok and
the first bad transaction, or ``{"error": "..."}``. Run as ``python -m
ledger.web.chain_child``.
"""

import json
import sys


def main() -> None:
    url = json.loads(sys.stdin.read())["url"]
    out: dict[str, object]
    try:
        from ledger.db.engine import make_engine
        from ledger.db.verify import verify

        engine = make_engine(url, read_only=True)
        with engine.connect() as connection:
            report = verify(connection)
        engine.dispose()
        out = {
            "ok": report.ok,
            "transactions": report.transactions_checked,
            "postings": report.postings_checked,
            "first_bad_transaction": report.first_bad_transaction,
        }
    except Exception as error:  # the overview says so; the console keeps serving
        out = {"error": str(error).splitlines()[0] if str(error) else type(error).__name__}
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
