-- A roster import's warnings are written once with the import, never changed.
CREATE TRIGGER roster_import_warnings_append_only BEFORE UPDATE OR DELETE ON roster_import_warnings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER roster_import_warnings_no_truncate BEFORE TRUNCATE ON roster_import_warnings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
