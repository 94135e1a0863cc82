"""The ``ledger`` console script.

Loading the command line (click, SQLAlchemy, pandas) takes most of a second; a Ctrl-C
in that second gets a line saying nothing was done, not a traceback from an import.
"""

import sys


def main() -> None:
    try:
        from ledger.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted while starting: nothing was done.\n")
        raise SystemExit(130) from None
    run()
