"""Planted against found and held: per planted kind, how many the findings rules found
and how many the screening held before the bank file (manifest.json, the demo's table)."""

from sqlalchemy.engine import Engine

from ledger.demo.catalogue import HOLD_OF_KIND, RULE_OF_KIND
from ledger.demo.commands import fetch_all_rows
from ledger.demo.plan import Plan

# Rules whose findings name a file line, a batch, the treasury or a township, not a
# recipient: their planted kinds are compared by the number of findings.
RULES_WITHOUT_RECIPIENT = {"D05", "W02", "W04", "F01"}
# Rules whose findings name the shared account: planted people are found through it.
RULES_ON_ACCOUNTS = {"D02"}


def found(engine: Engine, plan: Plan) -> dict[str, int]:
    """Per planted kind: how many planted recipients have a finding of the kind's
    rule (through their shared account for D02); for kinds whose subject is not a
    recipient (a file line, a batch, the treasury, a township), how many findings
    the rule holds."""
    by_rule: dict[str, set[int]] = {}
    accounts: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for rule, recipient_id, subject_type, subject_id in fetch_all_rows(
        engine, "SELECT rule, recipient_id, subject_type, subject_id FROM findings"
    ):
        counts[rule] = counts.get(rule, 0) + 1
        if recipient_id is not None:
            by_rule.setdefault(rule, set()).add(int(recipient_id))
        if subject_type == "account":
            accounts.setdefault(rule, set()).add(str(subject_id))
    ids = dict(fetch_all_rows(engine, "SELECT id_number, id FROM recipients"))
    found: dict[str, int] = {}
    for item in plan.manifest()["planted"]:
        rule = RULE_OF_KIND[item["kind"]]
        people = [s for s in item["subjects"] if s.get("type") == "recipient"]
        if people and rule in RULES_ON_ACCOUNTS:
            hit_accounts = accounts.get(rule, set())
            found[item["kind"]] = sum(1 for p in people if p["account_number"] in hit_accounts)
        elif people and rule not in RULES_WITHOUT_RECIPIENT:
            hit = by_rule.get(rule, set())
            found[item["kind"]] = sum(1 for p in people if ids.get(p["id_number"]) in hit)
        else:
            found[item["kind"]] = counts.get(rule, 0)
    return found


def held(engine: Engine, plan: Plan) -> dict[str, int]:
    """Per planted kind that screening stops: how many planted recipients had a
    payment held for the kind's reason (in any batch so far)."""
    held: dict[str, set[str]] = {}
    for reason, id_number in fetch_all_rows(
        engine,
        "SELECT h.reason, r.id_number FROM instruction_holds h"
        " JOIN payment_instructions i ON i.id = h.instruction_id"
        " JOIN recipients r ON r.id = i.recipient_id",
    ):
        held.setdefault(str(reason), set()).add(str(id_number))
    counts: dict[str, int] = {}
    for item in plan.manifest()["planted"]:
        reason = HOLD_OF_KIND.get(item["kind"])
        if reason is None:
            continue
        people = {s["id_number"] for s in item["subjects"] if s.get("type") == "recipient"}
        counts[item["kind"]] = len(people & held.get(reason, set()))
    return counts
