-- 集中供养 institution payments (issue 18): written once at batch run, never changed;
-- an enrolment version's institution is as fixed as its other columns.
CREATE TRIGGER institution_payments_append_only BEFORE UPDATE OR DELETE ON institution_payments
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER institution_payments_no_truncate BEFORE TRUNCATE ON institution_payments
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
DROP TRIGGER enrolments_version_fixed ON enrolments;
-- statement
CREATE TRIGGER enrolments_version_fixed BEFORE UPDATE ON enrolments
    FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.recipient_id IS DISTINCT FROM OLD.recipient_id
      OR NEW.program IS DISTINCT FROM OLD.program OR NEW.township IS DISTINCT FROM OLD.township
      OR NEW.village IS DISTINCT FROM OLD.village OR NEW.household_id IS DISTINCT FROM OLD.household_id
      OR NEW.household_size IS DISTINCT FROM OLD.household_size OR NEW.amount_fen IS DISTINCT FROM OLD.amount_fen
      OR NEW.bank IS DISTINCT FROM OLD.bank OR NEW.account_number IS DISTINCT FROM OLD.account_number
      OR NEW.account_holder IS DISTINCT FROM OLD.account_holder OR NEW.start_month IS DISTINCT FROM OLD.start_month
      OR NEW.end_month IS DISTINCT FROM OLD.end_month OR NEW.exit_date IS DISTINCT FROM OLD.exit_date
      OR NEW.status IS DISTINCT FROM OLD.status OR NEW.valid_from_import IS DISTINCT FROM OLD.valid_from_import
      OR NEW.household_head IS DISTINCT FROM OLD.household_head
      OR NEW.institution IS DISTINCT FROM OLD.institution
      OR OLD.valid_to_import IS NOT NULL)
    EXECUTE FUNCTION ledger_refuse_frozen('an enrolment version never changes; only the current one is closed, once');
