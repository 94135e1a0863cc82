"""A finding's identity (its fingerprint): every rule names each finding once per run.

Issue 13: with draft batches in a ledger where one person is enrolled in two programs,
W01 saw two unpaid entitlements of one recipient and period, and ``findings detect``
failed on the unique fingerprint. A finding is one rule's finding about one subject's
money of one program in one period (docs/findings.md)."""

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger import payments
from ledger.county import load_county
from ledger.db import findings_store as store
from ledger.db.engine import database_url, make_engine
from ledger.db.uow import UnitOfWork
from ledger.demo.run import DemoOptions, run_demo
from ledger.findings import RULES, Context
from tests.support.findings import detect, enrol, fund, pay_period, person, release_held


def test_unpaid_entitlements_of_one_recipient_in_two_programs_are_two_findings(engine, tmp_path):
    enrol(engine, [person(1, amount_fen=600_00), person(2, amount_fen=450_00)])
    enrol(engine, [person(1, program="tekun", amount_fen=900_00)])
    fund(engine, {"dibao_rural", "tekun"})
    pay_period(engine, tmp_path, "2026-10", export=False, approve=False)  # drafts only

    detect(engine, "W01", "2026-10", as_of=date(2026, 12, 1))
    detect(engine, "W01", "2026-10", as_of=date(2026, 12, 2))  # found again: refreshed

    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT subject_id, program, amount_fen FROM findings WHERE rule = 'W01'"
                " ORDER BY subject_id, program"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("R0000001", "dibao_rural", 600_00),
        ("R0000001", "tekun", 900_00),
        ("R0000002", "dibao_rural", 450_00),
    ]


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county (every rule's anomaly planted), plus the next month's batches left
    as drafts so the age rules see unpaid entitlements of people in two programs. The
    screening at batch run holds the planted deceased, duplicates, employees ...; their
    holds in those drafts are released (as a checker may) so that every rule sees its
    cases."""
    directory = tmp_path_factory.mktemp("fingerprints") / "county"
    run_demo(
        DemoOptions(directory=directory, recipients=300, months=2, seed=7, first_period="2026-03")
    )
    engine = make_engine(database_url(str(directory / "ledger.db")))
    county = load_county(directory / "county.toml")
    with UnitOfWork(engine) as uow:
        created = payments.run_batches(uow, county, "2026-05", operator="maker").created
    for batch in created:
        release_held(engine, batch.id)
    engine.dispose()
    return directory


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_no_rule_emits_two_candidates_with_one_fingerprint(demo_ledger: Path, rule) -> None:
    engine = make_engine(database_url(str(demo_ledger / "ledger.db")))
    county = load_county(demo_ledger / "county.toml")
    seen = 0
    with engine.connect() as connection:
        for period in ("2026-03", "2026-04", "2026-05"):
            for as_of in (date(2026, 5, 20), date(2026, 12, 31)):
                frame = rule.detect(Context(connection, county, period, as_of))
                counts = Counter(store.fingerprints(rule.id, frame))
                repeated = [f for f, n in counts.items() if n > 1]
                assert not repeated, (period, as_of, frame[frame.duplicated(["subject_id"])])
                seen += len(frame)
    engine.dispose()
    assert seen or rule.id in NOT_PLANTED


# Rules the demo plants no anomaly for (their own tests fire them: test_findings_rules.py;
# W06 needs [funds.matching], which the demo county does not set: test_funds_year.py; the
# one-off rules M15-M17 in test_oneoff_findings.py, the demo having no one-off cases).
NOT_PLANTED = {"D06", "M03", "W06", "M15", "M16", "M17"}
