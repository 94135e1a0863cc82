-- A roster import's warnings are written once with the import, never changed.
CREATE TRIGGER roster_import_warnings_no_update BEFORE UPDATE ON roster_import_warnings
BEGIN
    SELECT RAISE(ABORT, 'ledger: roster import warnings are append-only');
END;
-- statement
CREATE TRIGGER roster_import_warnings_no_delete BEFORE DELETE ON roster_import_warnings
BEGIN
    SELECT RAISE(ABORT, 'ledger: roster import warnings are append-only');
END;
