"""0011: findings stored before the fingerprint named the program get the new one, so the
next detection refreshes them instead of adding a second finding."""

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa

from ledger.db import findings_store as store
from ledger.db import migrate
from ledger.db.engine import make_engine


def test_stored_fingerprints_are_recomputed_with_the_program(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0008_enrolment_account_index")
        old = hashlib.sha256(b"W02|batch|7|2026-10").hexdigest()
        now = datetime(2026, 12, 1, tzinfo=UTC)
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO findings (fingerprint, rule, category, severity, subject_type,"
                    " subject_id, period, program, amount_fen, recovered_fen, evidence, summary,"
                    " status, first_detected_at, last_detected_at) VALUES (:fp, 'W02',"
                    " 'withheld', 'high', 'batch', '7', '2026-10', 'dibao_rural', 100, 0, '{}',"
                    " 's', 'open', :now, :now)"
                ),
                {"fp": old, "now": now},
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT fingerprint FROM findings")).scalar_one()
        assert stored == store.fingerprint("W02", "batch", "7", "2026-10", "dibao_rural")
        assert stored != old
    finally:
        engine.dispose()
