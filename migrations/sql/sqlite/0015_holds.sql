-- Holds and their releases are decisions: written once, never changed (schema/holds.py).
CREATE TRIGGER instruction_holds_no_update BEFORE UPDATE ON instruction_holds
BEGIN
    SELECT RAISE(ABORT, 'ledger: holds are append-only');
END;
-- statement
CREATE TRIGGER instruction_holds_no_delete BEFORE DELETE ON instruction_holds
BEGIN
    SELECT RAISE(ABORT, 'ledger: holds are append-only');
END;
-- statement
CREATE TRIGGER hold_releases_no_update BEFORE UPDATE ON hold_releases
BEGIN
    SELECT RAISE(ABORT, 'ledger: hold releases are append-only');
END;
-- statement
CREATE TRIGGER hold_releases_no_delete BEFORE DELETE ON hold_releases
BEGIN
    SELECT RAISE(ABORT, 'ledger: hold releases are append-only');
END;
