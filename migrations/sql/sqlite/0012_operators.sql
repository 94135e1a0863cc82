-- Maker-checker and the operator register, enforced by SQLite itself (docs/operations.md).
-- An approval is never the maker's (compared by name key), is by a registered, active
-- finance checker of the department it claims, and only of a draft.
CREATE TRIGGER batch_approvals_guard BEFORE INSERT ON batch_approvals
BEGIN
    SELECT RAISE(ABORT, 'ledger: an approval by the batch''s maker is refused (maker-checker)')
    WHERE NEW.operator_key = (SELECT created_by_key FROM batches WHERE id = NEW.batch_id);
    SELECT RAISE(ABORT, 'ledger: only a draft batch can be approved')
    WHERE (SELECT state FROM batches WHERE id = NEW.batch_id) IS NOT 'draft';
    SELECT RAISE(ABORT, 'ledger: the approver is not an active finance_checker')
    WHERE NOT EXISTS (
        SELECT 1 FROM operators o JOIN operator_roles r ON r.operator_id = o.id
        WHERE o.name_key = NEW.operator_key AND o.disabled_at IS NULL
          AND r.role = 'finance_checker'
    );
    SELECT RAISE(ABORT, 'ledger: an approval must carry its approver''s department')
    WHERE NEW.department IS NOT
        (SELECT department FROM operators WHERE name_key = NEW.operator_key);
END;
-- statement
CREATE TRIGGER batch_approvals_no_update BEFORE UPDATE ON batch_approvals
BEGIN
    SELECT RAISE(ABORT, 'ledger: approvals are append-only');
END;
-- statement
CREATE TRIGGER batch_approvals_no_delete BEFORE DELETE ON batch_approvals
BEGIN
    SELECT RAISE(ABORT, 'ledger: approvals are append-only');
END;
-- statement
-- Who made a batch and the rule it was made under never change.
CREATE TRIGGER batches_approval_fixed BEFORE UPDATE ON batches
WHEN NEW.created_by IS NOT OLD.created_by
  OR NEW.created_by_key IS NOT OLD.created_by_key
  OR NEW.approvals_required IS NOT OLD.approvals_required
  OR NEW.approvals_other_department IS NOT OLD.approvals_other_department
BEGIN
    SELECT RAISE(ABORT, 'ledger: a batch''s maker and approval rule never change');
END;
-- statement
-- A batch is approved only by an operator whose approval is recorded, and only when its
-- approvals meet its rule.
CREATE TRIGGER batches_approval_rule BEFORE UPDATE ON batches
WHEN NEW.approved_by IS NOT OLD.approved_by
  OR (NEW.state = 'approved' AND OLD.state = 'draft')
BEGIN
    SELECT RAISE(ABORT, 'ledger: the batch''s maker cannot be its approver (maker-checker)')
    WHERE NEW.approved_by IS NOT NULL
      AND lower(trim(NEW.approved_by)) = lower(trim(NEW.created_by));
    SELECT RAISE(ABORT, 'ledger: the approver has no recorded approval of this batch')
    WHERE NEW.approved_by IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM batch_approvals a
        WHERE a.batch_id = NEW.id AND a.operator = NEW.approved_by
    );
    SELECT RAISE(ABORT, 'ledger: the batch does not have the approvals its rule needs')
    WHERE NEW.state = 'approved' AND OLD.state = 'draft'
      AND (SELECT count(*) FROM batch_approvals a WHERE a.batch_id = NEW.id)
          < NEW.approvals_required;
    SELECT RAISE(ABORT, 'ledger: the batch needs a checker of another department')
    WHERE NEW.state = 'approved' AND OLD.state = 'draft' AND NEW.approvals_other_department
      AND NOT EXISTS (
        SELECT 1 FROM batch_approvals a
        WHERE a.batch_id = NEW.id AND a.department IS NOT NULL
          AND a.department IS NOT
              (SELECT o.department FROM operators o WHERE o.name_key = NEW.created_by_key)
      );
END;
-- statement
-- Operators are disabled, never deleted; a name, its key and a set department are fixed.
CREATE TRIGGER operators_no_delete BEFORE DELETE ON operators
BEGIN
    SELECT RAISE(ABORT, 'ledger: operators are disabled, never deleted');
END;
-- statement
CREATE TRIGGER operators_fixed BEFORE UPDATE ON operators
WHEN NEW.name IS NOT OLD.name OR NEW.name_key IS NOT OLD.name_key
  OR NEW.full_name IS NOT OLD.full_name OR NEW.created_by IS NOT OLD.created_by
  OR NEW.created_at IS NOT OLD.created_at
  OR (OLD.department IS NOT NULL AND NEW.department IS NOT OLD.department)
  OR (OLD.disabled_at IS NOT NULL AND NEW.disabled_at IS NOT OLD.disabled_at)
BEGIN
    SELECT RAISE(ABORT, 'ledger: an operator''s name and department are fixed; disabled stays disabled');
END;
