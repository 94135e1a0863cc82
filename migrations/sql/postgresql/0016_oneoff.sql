-- A case's approvals are decisions: written once, never changed (schema/oneoff.py).
CREATE TRIGGER oneoff_approvals_append_only BEFORE UPDATE OR DELETE ON oneoff_approvals
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER oneoff_approvals_no_truncate BEFORE TRUNCATE ON oneoff_approvals
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
