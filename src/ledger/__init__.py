"""Ledger of record for social assistance funds (救助资金台账)."""

__version__ = "0.1.0"
