-- 分类施保 categories and 扣减 deductions are records: written once, never changed
-- (schema/deductions.py); an entitlement's supplement code never changes.
CREATE TRIGGER category_imports_append_only BEFORE UPDATE OR DELETE ON category_imports
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER category_imports_no_truncate BEFORE TRUNCATE ON category_imports
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER recipient_categories_append_only BEFORE UPDATE OR DELETE ON recipient_categories
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER recipient_categories_no_truncate BEFORE TRUNCATE ON recipient_categories
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER deduction_plans_append_only BEFORE UPDATE OR DELETE ON deduction_plans
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER deduction_plans_no_truncate BEFORE TRUNCATE ON deduction_plans
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER deductions_append_only BEFORE UPDATE OR DELETE ON deductions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER deductions_no_truncate BEFORE TRUNCATE ON deductions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER entitlements_supplement_fixed BEFORE UPDATE ON entitlements
    FOR EACH ROW
    WHEN (NEW.supplement IS DISTINCT FROM OLD.supplement)
    EXECUTE FUNCTION ledger_refuse_frozen('an entitlement never changes; only an open one is voided or cancelled');
