"""The command-line jobs, one click group per module (``ledger.batch``)."""
