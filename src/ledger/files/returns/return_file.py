"""A parsed return file: its lines (``model.COLUMNS``), its anomalies, its identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ledger.files.returns.frame import frame_to_records
from ledger.files.returns.model import Anomaly, ReturnRecord


@dataclass(frozen=True)
class ReturnFile:
    """A parsed return file: its lines, the contradictions found, its identity.

    ``header_message_id``: the ``AppHdr/BizMsgIdr`` of the Business Application Header
    when the bank sent the Document inside an envelope (kept for the audit trail)."""

    path: Path
    format: str  # "pain.002", "camt.053", "camt.054", "pacs.004" or a return-profile name
    sha256: str
    lines: pd.DataFrame
    anomalies: tuple[Anomaly, ...] = field(default=())
    header_message_id: str | None = None

    def records(self) -> list[ReturnRecord]:
        """The lines as ``ReturnRecord`` values: for small files and tests only."""
        return frame_to_records(self.lines)
