-- 集中供养 institution payments (issue 18): written once at batch run, never changed;
-- an enrolment version's institution is as fixed as its other columns.
CREATE TRIGGER institution_payments_no_update BEFORE UPDATE ON institution_payments
BEGIN
    SELECT RAISE(ABORT, 'ledger: institution payments are append-only');
END;
-- statement
CREATE TRIGGER institution_payments_no_delete BEFORE DELETE ON institution_payments
BEGIN
    SELECT RAISE(ABORT, 'ledger: institution payments are append-only');
END;
-- statement
DROP TRIGGER enrolments_version_fixed;
-- statement
CREATE TRIGGER enrolments_version_fixed BEFORE UPDATE ON enrolments
WHEN NEW.id IS NOT OLD.id OR NEW.recipient_id IS NOT OLD.recipient_id
  OR NEW.program IS NOT OLD.program OR NEW.township IS NOT OLD.township
  OR NEW.village IS NOT OLD.village OR NEW.household_id IS NOT OLD.household_id
  OR NEW.household_size IS NOT OLD.household_size OR NEW.amount_fen IS NOT OLD.amount_fen
  OR NEW.bank IS NOT OLD.bank OR NEW.account_number IS NOT OLD.account_number
  OR NEW.account_holder IS NOT OLD.account_holder OR NEW.start_month IS NOT OLD.start_month
  OR NEW.end_month IS NOT OLD.end_month OR NEW.exit_date IS NOT OLD.exit_date
  OR NEW.status IS NOT OLD.status OR NEW.valid_from_import IS NOT OLD.valid_from_import
  OR NEW.household_head IS NOT OLD.household_head
  OR NEW.institution IS NOT OLD.institution
  OR OLD.valid_to_import IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'ledger: an enrolment version never changes; only the current one is closed, once');
END;
