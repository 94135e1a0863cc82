-- Decisions, once made, are frozen by PostgreSQL itself (docs/ledger.md, "What may
-- change"). Same rules as sql/sqlite/0016_frozen_decisions.sql; the WHEN clauses run
-- without calling a function, so a bulk status UPDATE of 10^6 instructions pays one
-- comparison per row, and the function only runs to refuse.
CREATE FUNCTION ledger_refuse_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: %', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END
$$;
-- statement
-- A payment instruction's payee never changes: a correction is a new instruction in a
-- supplementary batch. Only its status and outcome columns move.
CREATE TRIGGER payment_instructions_payee_fixed BEFORE UPDATE ON payment_instructions
    FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.batch_id IS DISTINCT FROM OLD.batch_id
      OR NEW.entitlement_id IS DISTINCT FROM OLD.entitlement_id OR NEW.attempt IS DISTINCT FROM OLD.attempt
      OR NEW.recipient_id IS DISTINCT FROM OLD.recipient_id OR NEW.township IS DISTINCT FROM OLD.township
      OR NEW.village IS DISTINCT FROM OLD.village OR NEW.amount_fen IS DISTINCT FROM OLD.amount_fen
      OR NEW.bank IS DISTINCT FROM OLD.bank OR NEW.account_number IS DISTINCT FROM OLD.account_number
      OR NEW.account_holder IS DISTINCT FROM OLD.account_holder OR NEW.id_number IS DISTINCT FROM OLD.id_number
      OR NEW.end_to_end_id IS DISTINCT FROM OLD.end_to_end_id OR NEW.line_number IS DISTINCT FROM OLD.line_number
      OR NEW.reissue_of IS DISTINCT FROM OLD.reissue_of)
    EXECUTE FUNCTION ledger_refuse_frozen('a payment instruction''s payee and amount never change; correct with a supplementary batch');
-- statement
CREATE TRIGGER payment_instructions_no_delete BEFORE DELETE ON payment_instructions
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('payment instructions are never deleted; void the batch');
-- statement
CREATE TRIGGER payment_instructions_no_truncate BEFORE TRUNCATE ON payment_instructions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('payment instructions are never deleted; void the batch');
-- statement
CREATE TRIGGER entitlements_fixed BEFORE UPDATE ON entitlements
    FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.recipient_id IS DISTINCT FROM OLD.recipient_id
      OR NEW.enrolment_id IS DISTINCT FROM OLD.enrolment_id OR NEW.program IS DISTINCT FROM OLD.program
      OR NEW.period IS DISTINCT FROM OLD.period OR NEW.kind IS DISTINCT FROM OLD.kind
      OR NEW.amount_fen IS DISTINCT FROM OLD.amount_fen OR NEW.township IS DISTINCT FROM OLD.township
      OR NEW.village IS DISTINCT FROM OLD.village OR NEW.batch_id IS DISTINCT FROM OLD.batch_id
      OR (OLD.status <> 'open' AND NEW.status IS DISTINCT FROM OLD.status))
    EXECUTE FUNCTION ledger_refuse_frozen('an entitlement never changes; only an open one is voided or cancelled');
-- statement
CREATE TRIGGER entitlements_no_delete BEFORE DELETE ON entitlements
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('entitlements are never deleted');
-- statement
CREATE TRIGGER entitlements_no_truncate BEFORE TRUNCATE ON entitlements
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('entitlements are never deleted');
-- statement
-- A batch's identity never changes; its totals are fixed once it leaves draft; each
-- lifecycle stamp (approval, export and its file hash, void) is set once, together with
-- the state it belongs to, and never changes after.
CREATE TRIGGER batches_decisions_fixed BEFORE UPDATE ON batches
    FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.period IS DISTINCT FROM OLD.period OR NEW.program IS DISTINCT FROM OLD.program
      OR NEW.bank IS DISTINCT FROM OLD.bank OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.sequence IS DISTINCT FROM OLD.sequence
      OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.db_login IS DISTINCT FROM OLD.db_login
      OR (OLD.state <> 'draft' AND (NEW.instruction_count IS DISTINCT FROM OLD.instruction_count
      OR NEW.amount_fen_total IS DISTINCT FROM OLD.amount_fen_total))
      OR (OLD.approved_by IS NOT NULL AND NEW.approved_by IS DISTINCT FROM OLD.approved_by)
      OR (OLD.approved_at IS NOT NULL AND NEW.approved_at IS DISTINCT FROM OLD.approved_at)
      OR (OLD.accrual_transaction_id IS NOT NULL
      AND NEW.accrual_transaction_id IS DISTINCT FROM OLD.accrual_transaction_id)
      OR (OLD.exported_by IS NOT NULL AND NEW.exported_by IS DISTINCT FROM OLD.exported_by)
      OR (OLD.exported_at IS NOT NULL AND NEW.exported_at IS DISTINCT FROM OLD.exported_at)
      OR (OLD.funding_transaction_id IS NOT NULL
      AND NEW.funding_transaction_id IS DISTINCT FROM OLD.funding_transaction_id)
      OR (OLD.profile IS NOT NULL AND NEW.profile IS DISTINCT FROM OLD.profile)
      OR (OLD.file_name IS NOT NULL AND NEW.file_name IS DISTINCT FROM OLD.file_name)
      OR (OLD.file_sha256 IS NOT NULL AND NEW.file_sha256 IS DISTINCT FROM OLD.file_sha256)
      OR (OLD.pay_date IS NOT NULL AND NEW.pay_date IS DISTINCT FROM OLD.pay_date)
      OR (OLD.voided_by IS NOT NULL AND NEW.voided_by IS DISTINCT FROM OLD.voided_by)
      OR (OLD.voided_at IS NOT NULL AND NEW.voided_at IS DISTINCT FROM OLD.voided_at)
      OR (OLD.void_reason IS NOT NULL AND NEW.void_reason IS DISTINCT FROM OLD.void_reason)
      OR (OLD.void_transaction_id IS NOT NULL
      AND NEW.void_transaction_id IS DISTINCT FROM OLD.void_transaction_id)
      OR (NEW.approved_by IS DISTINCT FROM OLD.approved_by
      AND NOT (OLD.state = 'draft' AND NEW.state = 'approved'))
      OR (NEW.file_sha256 IS DISTINCT FROM OLD.file_sha256
      AND NOT (OLD.state = 'approved' AND NEW.state = 'exported'))
      OR (OLD.state = 'voided' AND NEW.state IS DISTINCT FROM 'voided')
      OR (OLD.state <> 'draft' AND NEW.state = 'draft'))
    EXECUTE FUNCTION ledger_refuse_frozen('a batch''s approval, export, file hash and void are recorded once and never change');
-- statement
CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('batches are never deleted; void them');
-- statement
CREATE TRIGGER batches_no_truncate BEFORE TRUNCATE ON batches
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('batches are never deleted; void them');
-- statement
-- The roster: people and their enrolment versions. A version is closed once (its
-- valid_to_import); nothing else of it ever changes.
CREATE TRIGGER recipients_no_update BEFORE UPDATE ON recipients
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('recipients never change; a roster import adds a new enrolment version');
-- statement
CREATE TRIGGER recipients_no_delete BEFORE DELETE ON recipients
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('recipients are never deleted');
-- statement
CREATE TRIGGER recipients_no_truncate BEFORE TRUNCATE ON recipients
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('recipients are never deleted');
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
      OR OLD.valid_to_import IS NOT NULL)
    EXECUTE FUNCTION ledger_refuse_frozen('an enrolment version never changes; only the current one is closed, once');
-- statement
CREATE TRIGGER enrolments_no_delete BEFORE DELETE ON enrolments
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('enrolment versions are never deleted');
-- statement
CREATE TRIGGER enrolments_no_truncate BEFORE TRUNCATE ON enrolments
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('enrolment versions are never deleted');
-- statement
CREATE TRIGGER roster_imports_no_update BEFORE UPDATE ON roster_imports
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('imports are append-only');
-- statement
CREATE TRIGGER roster_imports_no_delete BEFORE DELETE ON roster_imports
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('imports are append-only');
-- statement
CREATE TRIGGER roster_imports_no_truncate BEFORE TRUNCATE ON roster_imports
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('imports are append-only');
-- statement
-- Reference lists: every imported row is written once.
CREATE TRIGGER refdata_imports_no_update BEFORE UPDATE ON refdata_imports
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('imports are append-only');
-- statement
CREATE TRIGGER refdata_imports_no_delete BEFORE DELETE ON refdata_imports
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('imports are append-only');
-- statement
CREATE TRIGGER refdata_imports_no_truncate BEFORE TRUNCATE ON refdata_imports
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('imports are append-only');
-- statement
CREATE TRIGGER ref_deaths_no_update BEFORE UPDATE ON ref_deaths
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_deaths_no_delete BEFORE DELETE ON ref_deaths
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_deaths_no_truncate BEFORE TRUNCATE ON ref_deaths
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_staff_no_update BEFORE UPDATE ON ref_staff
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_staff_no_delete BEFORE DELETE ON ref_staff
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_staff_no_truncate BEFORE TRUNCATE ON ref_staff
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_staff_accounts_no_update BEFORE UPDATE ON ref_staff_accounts
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_staff_accounts_no_delete BEFORE DELETE ON ref_staff_accounts
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_staff_accounts_no_truncate BEFORE TRUNCATE ON ref_staff_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_cadre_relatives_no_update BEFORE UPDATE ON ref_cadre_relatives
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_cadre_relatives_no_delete BEFORE DELETE ON ref_cadre_relatives
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_cadre_relatives_no_truncate BEFORE TRUNCATE ON ref_cadre_relatives
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
-- A finding's identity never changes, and its status moves only with the finding
-- event that records the move (the newest event of the finding names it).
CREATE TRIGGER findings_fixed BEFORE UPDATE ON findings
    FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.fingerprint IS DISTINCT FROM OLD.fingerprint
      OR NEW.rule IS DISTINCT FROM OLD.rule OR NEW.category IS DISTINCT FROM OLD.category
      OR NEW.subject_type IS DISTINCT FROM OLD.subject_type OR NEW.subject_id IS DISTINCT FROM OLD.subject_id
      OR NEW.period IS DISTINCT FROM OLD.period OR NEW.township IS DISTINCT FROM OLD.township
      OR NEW.program IS DISTINCT FROM OLD.program OR NEW.recipient_id IS DISTINCT FROM OLD.recipient_id
      OR NEW.first_detected_at IS DISTINCT FROM OLD.first_detected_at)
    EXECUTE FUNCTION ledger_refuse_frozen('a finding''s rule, subject and period never change');
-- statement
CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('findings are never deleted; dismiss them');
-- statement
CREATE TRIGGER findings_no_truncate BEFORE TRUNCATE ON findings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('findings are never deleted; dismiss them');
-- statement
-- A grant records who granted it and when; it is revoked (deleted), never rewritten.
CREATE TRIGGER operator_roles_no_update BEFORE UPDATE ON operator_roles
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('a grant is never changed; revoke it and grant again');
-- statement
-- A finding's status moves only with the finding event that records the move.
CREATE FUNCTION ledger_finding_status_by_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last_action text;
BEGIN
    SELECT action INTO last_action FROM finding_events
        WHERE finding_id = NEW.id ORDER BY id DESC LIMIT 1;
    IF NOT ((last_action = 'assign' AND NEW.status = 'assigned')
         OR (last_action = 'rectify' AND NEW.status = 'rectified')
         OR (last_action = 'dismiss' AND NEW.status = 'dismissed')
         OR (last_action = 'verified' AND NEW.status = 'verified')
         OR (last_action = 'verify_failed' AND NEW.status IN ('open', 'assigned'))
         OR (last_action = 'reopened' AND NEW.status = 'open')) IS TRUE THEN
        RAISE EXCEPTION 'ledger: a finding''s status changes only with the finding event that records it'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
-- statement
CREATE TRIGGER findings_status_by_event BEFORE UPDATE OF status ON findings
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION ledger_finding_status_by_event();
-- statement
-- The asset lists (migration 0016_i17r_asset_lists), as the other reference rows.
CREATE TRIGGER ref_vehicles_no_update BEFORE UPDATE ON ref_vehicles
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_vehicles_no_delete BEFORE DELETE ON ref_vehicles
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_vehicles_no_truncate BEFORE TRUNCATE ON ref_vehicles
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_property_no_update BEFORE UPDATE ON ref_property
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_property_no_delete BEFORE DELETE ON ref_property
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_property_no_truncate BEFORE TRUNCATE ON ref_property
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_businesses_no_update BEFORE UPDATE ON ref_businesses
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_businesses_no_delete BEFORE DELETE ON ref_businesses
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_businesses_no_truncate BEFORE TRUNCATE ON ref_businesses
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_provident_fund_no_update BEFORE UPDATE ON ref_provident_fund
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_provident_fund_no_delete BEFORE DELETE ON ref_provident_fund
    FOR EACH ROW
    EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
-- statement
CREATE TRIGGER ref_provident_fund_no_truncate BEFORE TRUNCATE ON ref_provident_fund
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_frozen('reference rows are written once');
