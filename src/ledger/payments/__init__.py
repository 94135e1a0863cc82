"""The monthly payment batch as services: run, re-issue, approve, void, export, verify.

Each service takes a ``UnitOfWork``, does one state change and commits it; a refusal
raises ``LedgerError`` before the commit, so nothing is half-done. Ledger entries
(DESIGN §3; docs/ledger.md), each keyed so a retried step never posts twice:

- approve (regular and one-off batch): accrual, Dr ``Expenses:Assistance:{p}:{township}``
  / Cr ``Liabilities:Payable:{p}:{recipient}`` per instruction; ``batch:{id}:accrual``
  (a supplementary batch accrues only held payments: a failure's payable is still open).
- void: the reversal of the accrual; ``batch:{id}:void``.
- export: funding, Dr ``Assets:BankClearing:{bank}`` / Cr ``Assets:Treasury:{p}``;
  ``batch:{id}:funding``, described with the bank file's name and SHA-256.
"""

from ledger.payments.approval import ApprovalResult, approve, record_approval, void
from ledger.payments.export import Exported, export, file_name, resolve_profile
from ledger.payments.manifest import Verification, manifest_document, verify_file
from ledger.payments.run import (
    CreatedBatch,
    RunResult,
    finish_created,
    reissue_failed,
    run_batches,
)

__all__ = [
    "ApprovalResult",
    "CreatedBatch",
    "Exported",
    "RunResult",
    "Verification",
    "approve",
    "export",
    "file_name",
    "finish_created",
    "manifest_document",
    "record_approval",
    "reissue_failed",
    "resolve_profile",
    "run_batches",
    "verify_file",
    "void",
]
