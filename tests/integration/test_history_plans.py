"""Every query of `audit history` reaches its rows through indexes (no full scans), so
one person's history stays fast at 10^6 recipients (figures: bench/bench_history.py).

PostgreSQL plans an empty table with a sequential scan whatever its indexes, so there the
test turns sequential scans off: a plan that still scans has no index to use."""

from pathlib import Path

import pytest

from ledger.db.audit_reads import full_scans, history_queries, query_plan
from ledger.db.engine import make_engine
from tests.support.cycle import build_cycle


@pytest.fixture
def engine_with_cycle(db_url: str, tmp_path: Path):
    engine = make_engine(db_url)
    build_cycle(engine, tmp_path / "out")
    yield engine
    engine.dispose()


def test_every_history_query_uses_indexes(engine_with_cycle):
    engine = engine_with_cycle
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
        for name, query in history_queries(1, "R0000001", "130123198001011234").items():
            plan = query_plan(connection, query)
            assert full_scans(connection, plan) == [], (name, plan)
