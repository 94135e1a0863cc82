"""Closing a period: the checklist, the refusal, --force --reason, no new batch after."""

import json

import sqlalchemy as sa

from ledger.cli import cli
from ledger.db.engine import make_engine
from tests.cli.test_batch_cli import invoke, ledger  # noqa: F401  (the fixture)


def _events(db_url: str) -> list[dict]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as c:
            rows = c.execute(
                sa.text("SELECT detail FROM audit_events WHERE action = 'period.closed'")
            ).all()
    finally:
        engine.dispose()
    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def test_a_period_with_a_draft_batch_is_not_closed_silently(ledger, db_url):  # noqa: F811
    run = invoke(ledger, "batch", "run", "--period", "2026-10", "--operator", "maker")
    assert run.exit_code == 0, run.output
    refused = ledger.invoke(cli, ["journal", "close-period", "2026-10", "--operator", "fin"])
    assert refused.exit_code == 1
    assert "open point" in refused.stderr and "--force --reason" in refused.stderr
    assert "草稿批次未审批或作废 / draft batches (approve or void them): 1: 1" in refused.stderr
    no_reason = ledger.invoke(
        cli, ["journal", "close-period", "2026-10", "--force", "--operator", "fin"]
    )
    assert no_reason.exit_code == 1 and "--force needs --reason" in no_reason.stderr
    assert _events(db_url) == []
    forced = ledger.invoke(
        cli,
        ["journal", "close-period", "2026-10", "--force", "--reason", "bank late",
         "--operator", "fin"],
    )  # fmt: skip
    assert forced.exit_code == 0, forced.output
    assert "closed with 1 open point(s)" in forced.output
    (event,) = _events(db_url)
    assert event["forced"] is True and event["reason"] == "bank late"
    assert event["checklist"] == {"draft_batches": [1]}


def test_a_clean_period_closes_and_then_gets_no_new_batch(ledger, db_url):  # noqa: F811
    closed = ledger.invoke(cli, ["journal", "close-period", "2026-10", "--operator", "fin"])
    assert closed.exit_code == 0, closed.output
    assert "checklist: nothing open" in closed.output
    run = ledger.invoke(cli, ["batch", "run", "--period", "2026-10", "--operator", "maker"])
    assert run.exit_code == 1
    assert run.stderr.startswith("Error: period 2026-10 is closed")
    listed = ledger.invoke(cli, ["batch", "list", "--format", "json"])
    assert json.loads(listed.output) == []
