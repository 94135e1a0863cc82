"""One person's history document: every part, cut at ``as_of``, as one timeline."""

from datetime import date, datetime
from typing import Any

from ledger.db.audit_reads import RawHistory
from ledger.history.clock import FORMAT, cutoff_for, date_text, is_known, iso, local_date, show, utc
from ledger.history.enrolments import enrolment_events
from ledger.history.instructions import instruction_events, outcome_events
from ledger.history.money_rows import entitlement_events, posting_events

# Events at the same moment: the roster first, then what the batch created, then money.
_RANK = {"enrolment": 0, "enrolment_change": 0, "account_change": 0, "entitlement": 1}


def build_history(raw: RawHistory, *, as_of: date | None, unmask: bool) -> dict[str, Any]:
    """The history document of one person, cut at ``as_of``."""
    cutoff = cutoff_for(as_of)
    person = raw.recipient
    registered = utc(person["created_at"])
    if cutoff is not None and registered is not None and registered >= cutoff:
        from ledger.errors import LedgerError

        raise LedgerError(
            f"recipient {person['key']} was registered on {local_date(registered)}, "
            f"after {as_of}: nothing to show as of that date"
        )
    events: list[tuple[date, datetime, int, dict[str, Any]]] = []

    def add(day: date, at: datetime, **fields: Any) -> None:
        events.append((day, at, len(events), {"date": day.isoformat(), "at": iso(at), **fields}))

    enrolments = enrolment_events(raw.enrolments, cutoff, unmask, add)
    instruction_rows = [i for i in raw.instructions if is_known(i["batch_created_at"], cutoff)]
    known_ids = {int(i["id"]) for i in instruction_rows}
    outcomes = [
        o
        for o in raw.outcomes
        if int(o["instruction_id"]) in known_ids and is_known(o["recorded_at"], cutoff)
    ]
    reissued_by = {
        int(i["reissue_of"]): int(i["id"]) for i in instruction_rows if i["reissue_of"] is not None
    }
    instructions = instruction_events(instruction_rows, outcomes, reissued_by, cutoff, unmask, add)
    outcome_docs = outcome_events(outcomes, add)
    entitlements = entitlement_events(raw.entitlements, instructions, cutoff, add)
    posting_docs, balances = posting_events(raw, as_of, add)

    events.sort(key=lambda e: (e[0], e[1], _RANK.get(str(e[3]["kind"]), 9), e[2]))
    return {
        "format": FORMAT,
        "as_of": None if as_of is None else as_of.isoformat(),
        "masked": not unmask,
        "recipient": {
            "key": person["key"],
            "id_number": show(person["id_number"], unmask),
            "name": person["name"],
            "sex": person["sex"],
            "birth_date": date_text(person["birth_date"]),
            "registered_at": iso(registered),
        },
        "balances": balances,
        "enrolments": enrolments,
        "entitlements": entitlements,
        "instructions": instructions,
        "outcomes": outcome_docs,
        "postings": posting_docs,
        "events": [{"seq": n + 1, **e[3]} for n, e in enumerate(events)],
    }


EVENT_COLUMNS = (
    "seq",
    "date",
    "at",
    "kind",
    "program",
    "period",
    "amount_fen",
    "amount",
    "summary",
)
TABLE_COLUMNS = ("date", "kind", "program", "period", "amount", "summary")
