-- 分类施保 categories and 扣减 deductions are records: written once, never changed
-- (schema/deductions.py); an entitlement's supplement code never changes.
CREATE TRIGGER category_imports_no_update BEFORE UPDATE ON category_imports
BEGIN
    SELECT RAISE(ABORT, 'ledger: category imports are append-only');
END;
-- statement
CREATE TRIGGER category_imports_no_delete BEFORE DELETE ON category_imports
BEGIN
    SELECT RAISE(ABORT, 'ledger: category imports are append-only');
END;
-- statement
CREATE TRIGGER recipient_categories_no_update BEFORE UPDATE ON recipient_categories
BEGIN
    SELECT RAISE(ABORT, 'ledger: recipient categories are append-only');
END;
-- statement
CREATE TRIGGER recipient_categories_no_delete BEFORE DELETE ON recipient_categories
BEGIN
    SELECT RAISE(ABORT, 'ledger: recipient categories are append-only');
END;
-- statement
CREATE TRIGGER deduction_plans_no_update BEFORE UPDATE ON deduction_plans
BEGIN
    SELECT RAISE(ABORT, 'ledger: deduction plans are append-only');
END;
-- statement
CREATE TRIGGER deduction_plans_no_delete BEFORE DELETE ON deduction_plans
BEGIN
    SELECT RAISE(ABORT, 'ledger: deduction plans are append-only');
END;
-- statement
CREATE TRIGGER deductions_no_update BEFORE UPDATE ON deductions
BEGIN
    SELECT RAISE(ABORT, 'ledger: deductions are append-only');
END;
-- statement
CREATE TRIGGER deductions_no_delete BEFORE DELETE ON deductions
BEGIN
    SELECT RAISE(ABORT, 'ledger: deductions are append-only');
END;
-- statement
CREATE TRIGGER entitlements_supplement_fixed BEFORE UPDATE OF supplement ON entitlements
WHEN NEW.supplement IS NOT OLD.supplement
BEGIN
    SELECT RAISE(ABORT, 'ledger: an entitlement never changes; only an open one is voided or cancelled');
END;
