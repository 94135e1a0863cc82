-- Holds and their releases are decisions: written once, never changed (schema/holds.py).
CREATE TRIGGER instruction_holds_append_only BEFORE UPDATE OR DELETE ON instruction_holds
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER instruction_holds_no_truncate BEFORE TRUNCATE ON instruction_holds
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER hold_releases_append_only BEFORE UPDATE OR DELETE ON hold_releases
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER hold_releases_no_truncate BEFORE TRUNCATE ON hold_releases
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
