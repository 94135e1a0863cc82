"""The county's side of the province's findings, stored as findings of source
``province`` (``ledger province import``).

For each province finding, the evidence lines paid by this county become one finding per
recipient and program: subject the recipient, amount at risk what this county paid,
except the county of the original enrolment in P01/P07, whose payments are not at risk
(amount 0, the finding tells it the person is paid elsewhere). A county that only lists
the person (P03-P06: death, staff or cadre list) pays nothing and gets no finding.
Stored through ``findings_store.store_candidates``: importing the same file again
updates the same findings, never duplicates.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ledger.batches import parse_period
from ledger.db import findings_store
from ledger.db.events import record_event
from ledger.db.schema import findings, recipients
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.province.rules_catalogue import FINDING_COLUMNS, RULE_TITLES

CATEGORIES = {
    "P01": "misappropriated",
    "P02": "diverted",
    "P03": "misappropriated",
    "P04": "misappropriated",
    "P05": "misappropriated",
    "P06": "diverted",
    "P07": "misappropriated",
}
# Rules where the county of the original enrolment (county_a) is not the one at risk.
_ORIGINAL_NOT_AT_RISK = {"P01", "P07"}


def read_findings(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise LedgerError(f"{path}: not a findings.parquet of `ledger province detect`") from (
            error
        )
    missing = [c for c in ["period", *FINDING_COLUMNS] if c not in frame.columns]
    if missing:
        raise LedgerError(f"{path}: not province findings (missing {', '.join(missing)})")
    unknown = sorted(set(frame["rule"]) - set(RULE_TITLES))
    if unknown:
        raise LedgerError(f"{path}: unknown rule(s) {', '.join(unknown)}")
    return frame


def candidates(frame: pd.DataFrame, county: str) -> pd.DataFrame:
    """Candidate rows (``findings_store`` columns plus ``rule`` and ``key``) for ``county``."""
    rows: list[dict[str, Any]] = []
    for finding in frame.to_dict("records"):
        document = json.loads(str(finding["evidence"]))
        paid = [line for line in document["paid"] if line["county"] == county]
        at_risk = not (finding["rule"] in _ORIGINAL_NOT_AT_RISK and finding["county_a"] == county)
        for line in paid:
            rows.append(
                {
                    "rule": finding["rule"],
                    "key": line["recipient_key"],
                    "period": finding["period"],
                    "program": line["program"],
                    "township": line["township"],
                    "amount_fen": int(line["amount_fen"]) if at_risk else 0,
                    "instruction_id": int(line["instruction_id"]),
                    "province": {
                        "rule": finding["rule"],
                        "counties": finding["counties"],
                        "county_a": finding["county_a"],
                        "county_b": finding["county_b"],
                        "amount_fen": int(finding["amount_fen"]),
                        "subject": str(finding["subject"])[:12],
                        "listed": document["listed"],
                    },
                }
            )
    return pd.DataFrame(rows)


def import_findings(
    uow: UnitOfWork, path: Path, *, county: str, operator: str, now: datetime
) -> dict[str, int]:
    """Store this county's side of the findings in ``path``; per rule, how many."""
    frame = read_findings(path)
    rows = candidates(frame, county)
    stored: dict[str, int] = {}
    if rows.empty:
        return stored
    for period in set(rows["period"]):
        parse_period(str(period))
    connection = uow.connection
    keys = dict(
        connection.execute(
            sa.select(recipients.c.key, recipients.c.id).where(
                recipients.c.key.in_(sorted(set(rows["key"])))
            )
        ).all()
    )
    strangers = sorted(set(rows["key"]) - set(keys))
    if strangers:
        raise LedgerError(
            f"{path}: recipient(s) {', '.join(strangers[:5])} of county {county} are not in "
            "this ledger: is this the county's own ledger?"
        )
    for rule, part in rows.groupby("rule"):
        title_en = RULE_TITLES[str(rule)][1]
        grouped = part.groupby(["key", "period", "program"], as_index=False).agg(
            township=("township", "first"),
            amount_fen=("amount_fen", "sum"),
            instructions=("instruction_id", list),
            province=("province", "first"),
        )
        candidate = pd.DataFrame(
            {
                "subject_type": "recipient",
                "subject_id": grouped["key"],
                "period": grouped["period"],
                "township": grouped["township"],
                "program": grouped["program"],
                "recipient_id": [keys[k] for k in grouped["key"]],
                "amount_fen": grouped["amount_fen"].astype("int64"),
                "severity": "high",
                "evidence": [
                    {"instruction_ids": i, "province": p}
                    for i, p in zip(grouped["instructions"], grouped["province"], strict=True)
                ],
                "summary": [
                    f"province {rule}: {title_en}; counties {p['counties']}; {a} fen at risk here"
                    for p, a in zip(grouped["province"], grouped["amount_fen"], strict=True)
                ],
            }
        )
        result = findings_store.store_candidates(
            connection, str(rule), CATEGORIES[str(rule)], candidate, operator=operator, now=now
        )
        prints = findings_store.fingerprints(str(rule), candidate)
        connection.execute(
            findings.update().where(findings.c.fingerprint.in_(prints)).values(source="province")
        )
        stored[str(rule)] = result.found
    record_event(
        connection,
        operator=operator,
        action="findings.province_imported",
        subject_type="file",
        subject_id=path.name[:64],
        detail={"file": str(path), "county": county, "rules": stored},
    )
    uow.commit()
    return stored
