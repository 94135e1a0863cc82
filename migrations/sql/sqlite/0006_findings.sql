-- The findings event log is append-only (see ledger/db/schema/findings.py).
CREATE TRIGGER finding_events_no_update BEFORE UPDATE ON finding_events
BEGIN
    SELECT RAISE(ABORT, 'ledger: finding events are append-only');
END;
-- statement
CREATE TRIGGER finding_events_no_delete BEFORE DELETE ON finding_events
BEGIN
    SELECT RAISE(ABORT, 'ledger: finding events are append-only');
END;
