-- Decisions, once made, are frozen by SQLite itself (docs/ledger.md, "What may change").
-- A payment instruction's payee never changes: a correction is a new instruction in a
-- supplementary batch. Only its status and outcome columns move.
CREATE TRIGGER payment_instructions_payee_fixed BEFORE UPDATE ON payment_instructions
WHEN NEW.id IS NOT OLD.id OR NEW.batch_id IS NOT OLD.batch_id
  OR NEW.entitlement_id IS NOT OLD.entitlement_id OR NEW.attempt IS NOT OLD.attempt
  OR NEW.recipient_id IS NOT OLD.recipient_id OR NEW.township IS NOT OLD.township
  OR NEW.village IS NOT OLD.village OR NEW.amount_fen IS NOT OLD.amount_fen
  OR NEW.bank IS NOT OLD.bank OR NEW.account_number IS NOT OLD.account_number
  OR NEW.account_holder IS NOT OLD.account_holder OR NEW.id_number IS NOT OLD.id_number
  OR NEW.end_to_end_id IS NOT OLD.end_to_end_id OR NEW.line_number IS NOT OLD.line_number
  OR NEW.reissue_of IS NOT OLD.reissue_of
BEGIN
    SELECT RAISE(ABORT, 'ledger: a payment instruction''s payee and amount never change; correct with a supplementary batch');
END;
-- statement
CREATE TRIGGER payment_instructions_no_delete BEFORE DELETE ON payment_instructions
BEGIN
    SELECT RAISE(ABORT, 'ledger: payment instructions are never deleted; void the batch');
END;
-- statement
CREATE TRIGGER entitlements_fixed BEFORE UPDATE ON entitlements
WHEN NEW.id IS NOT OLD.id OR NEW.recipient_id IS NOT OLD.recipient_id
  OR NEW.enrolment_id IS NOT OLD.enrolment_id OR NEW.program IS NOT OLD.program
  OR NEW.period IS NOT OLD.period OR NEW.kind IS NOT OLD.kind
  OR NEW.amount_fen IS NOT OLD.amount_fen OR NEW.township IS NOT OLD.township
  OR NEW.village IS NOT OLD.village OR NEW.batch_id IS NOT OLD.batch_id
  OR (OLD.status <> 'open' AND NEW.status IS NOT OLD.status)
BEGIN
    SELECT RAISE(ABORT, 'ledger: an entitlement never changes; only an open one is voided or cancelled');
END;
-- statement
CREATE TRIGGER entitlements_no_delete BEFORE DELETE ON entitlements
BEGIN
    SELECT RAISE(ABORT, 'ledger: entitlements are never deleted');
END;
-- statement
-- A batch's identity never changes; its totals are fixed once it leaves draft; each
-- lifecycle stamp (approval, export and its file hash, void) is set once, together with
-- the state it belongs to, and never changes after.
CREATE TRIGGER batches_decisions_fixed BEFORE UPDATE ON batches
WHEN NEW.id IS NOT OLD.id OR NEW.period IS NOT OLD.period OR NEW.program IS NOT OLD.program
  OR NEW.bank IS NOT OLD.bank OR NEW.kind IS NOT OLD.kind OR NEW.sequence IS NOT OLD.sequence
  OR NEW.created_at IS NOT OLD.created_at OR NEW.db_login IS NOT OLD.db_login
  OR (OLD.state <> 'draft' AND (NEW.instruction_count IS NOT OLD.instruction_count
                                OR NEW.amount_fen_total IS NOT OLD.amount_fen_total))
  OR (OLD.approved_by IS NOT NULL AND NEW.approved_by IS NOT OLD.approved_by)
  OR (OLD.approved_at IS NOT NULL AND NEW.approved_at IS NOT OLD.approved_at)
  OR (OLD.accrual_transaction_id IS NOT NULL
      AND NEW.accrual_transaction_id IS NOT OLD.accrual_transaction_id)
  OR (OLD.exported_by IS NOT NULL AND NEW.exported_by IS NOT OLD.exported_by)
  OR (OLD.exported_at IS NOT NULL AND NEW.exported_at IS NOT OLD.exported_at)
  OR (OLD.funding_transaction_id IS NOT NULL
      AND NEW.funding_transaction_id IS NOT OLD.funding_transaction_id)
  OR (OLD.profile IS NOT NULL AND NEW.profile IS NOT OLD.profile)
  OR (OLD.file_name IS NOT NULL AND NEW.file_name IS NOT OLD.file_name)
  OR (OLD.file_sha256 IS NOT NULL AND NEW.file_sha256 IS NOT OLD.file_sha256)
  OR (OLD.pay_date IS NOT NULL AND NEW.pay_date IS NOT OLD.pay_date)
  OR (OLD.voided_by IS NOT NULL AND NEW.voided_by IS NOT OLD.voided_by)
  OR (OLD.voided_at IS NOT NULL AND NEW.voided_at IS NOT OLD.voided_at)
  OR (OLD.void_reason IS NOT NULL AND NEW.void_reason IS NOT OLD.void_reason)
  OR (OLD.void_transaction_id IS NOT NULL
      AND NEW.void_transaction_id IS NOT OLD.void_transaction_id)
  OR (NEW.approved_by IS NOT OLD.approved_by
      AND NOT (OLD.state = 'draft' AND NEW.state = 'approved'))
  OR (NEW.file_sha256 IS NOT OLD.file_sha256
      AND NOT (OLD.state = 'approved' AND NEW.state = 'exported'))
  OR (OLD.state = 'voided' AND NEW.state IS NOT 'voided')
  OR (OLD.state <> 'draft' AND NEW.state = 'draft')
BEGIN
    SELECT RAISE(ABORT, 'ledger: a batch''s approval, export, file hash and void are recorded once and never change');
END;
-- statement
CREATE TRIGGER batches_no_delete BEFORE DELETE ON batches
BEGIN
    SELECT RAISE(ABORT, 'ledger: batches are never deleted; void them');
END;
-- statement
-- The roster: people and their enrolment versions. A version is closed once (its
-- valid_to_import); nothing else of it ever changes.
CREATE TRIGGER recipients_no_update BEFORE UPDATE ON recipients
BEGIN
    SELECT RAISE(ABORT, 'ledger: recipients never change; a roster import adds a new enrolment version');
END;
-- statement
CREATE TRIGGER recipients_no_delete BEFORE DELETE ON recipients
BEGIN
    SELECT RAISE(ABORT, 'ledger: recipients are never deleted');
END;
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
  OR OLD.valid_to_import IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'ledger: an enrolment version never changes; only the current one is closed, once');
END;
-- statement
CREATE TRIGGER enrolments_no_delete BEFORE DELETE ON enrolments
BEGIN
    SELECT RAISE(ABORT, 'ledger: enrolment versions are never deleted');
END;
-- statement
CREATE TRIGGER roster_imports_no_update BEFORE UPDATE ON roster_imports
BEGIN
    SELECT RAISE(ABORT, 'ledger: imports are append-only');
END;
-- statement
CREATE TRIGGER roster_imports_no_delete BEFORE DELETE ON roster_imports
BEGIN
    SELECT RAISE(ABORT, 'ledger: imports are append-only');
END;
-- statement
-- Reference lists: every imported row is written once.
CREATE TRIGGER refdata_imports_no_update BEFORE UPDATE ON refdata_imports
BEGIN
    SELECT RAISE(ABORT, 'ledger: imports are append-only');
END;
-- statement
CREATE TRIGGER refdata_imports_no_delete BEFORE DELETE ON refdata_imports
BEGIN
    SELECT RAISE(ABORT, 'ledger: imports are append-only');
END;
-- statement
CREATE TRIGGER ref_deaths_no_update BEFORE UPDATE ON ref_deaths
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_deaths_no_delete BEFORE DELETE ON ref_deaths
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_staff_no_update BEFORE UPDATE ON ref_staff
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_staff_no_delete BEFORE DELETE ON ref_staff
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_staff_accounts_no_update BEFORE UPDATE ON ref_staff_accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_staff_accounts_no_delete BEFORE DELETE ON ref_staff_accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_cadre_relatives_no_update BEFORE UPDATE ON ref_cadre_relatives
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_cadre_relatives_no_delete BEFORE DELETE ON ref_cadre_relatives
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
-- A finding's identity never changes, and its status moves only with the finding
-- event that records the move (the newest event of the finding names it).
CREATE TRIGGER findings_fixed BEFORE UPDATE ON findings
WHEN NEW.id IS NOT OLD.id OR NEW.fingerprint IS NOT OLD.fingerprint
  OR NEW.rule IS NOT OLD.rule OR NEW.category IS NOT OLD.category
  OR NEW.subject_type IS NOT OLD.subject_type OR NEW.subject_id IS NOT OLD.subject_id
  OR NEW.period IS NOT OLD.period OR NEW.township IS NOT OLD.township
  OR NEW.program IS NOT OLD.program OR NEW.recipient_id IS NOT OLD.recipient_id
  OR NEW.first_detected_at IS NOT OLD.first_detected_at
BEGIN
    SELECT RAISE(ABORT, 'ledger: a finding''s rule, subject and period never change');
END;
-- statement
CREATE TRIGGER findings_status_by_event BEFORE UPDATE OF status ON findings
WHEN NEW.status IS NOT OLD.status
BEGIN
    SELECT RAISE(ABORT, 'ledger: a finding''s status changes only with the finding event that records it')
    WHERE NOT EXISTS (
        SELECT 1 FROM finding_events e
        WHERE e.id = (SELECT MAX(id) FROM finding_events WHERE finding_id = NEW.id)
          AND ((e.action = 'assign' AND NEW.status = 'assigned')
            OR (e.action = 'rectify' AND NEW.status = 'rectified')
            OR (e.action = 'dismiss' AND NEW.status = 'dismissed')
            OR (e.action = 'verified' AND NEW.status = 'verified')
            OR (e.action = 'verify_failed' AND NEW.status IN ('open', 'assigned'))
            OR (e.action = 'reopened' AND NEW.status = 'open'))
    );
END;
-- statement
CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings
BEGIN
    SELECT RAISE(ABORT, 'ledger: findings are never deleted; dismiss them');
END;
-- statement
-- A grant records who granted it and when; it is revoked (deleted), never rewritten.
CREATE TRIGGER operator_roles_no_update BEFORE UPDATE ON operator_roles
BEGIN
    SELECT RAISE(ABORT, 'ledger: a grant is never changed; revoke it and grant again');
END;
-- statement
-- The asset lists (migration 0016_i17r_asset_lists), as the other reference rows.
CREATE TRIGGER ref_vehicles_no_update BEFORE UPDATE ON ref_vehicles
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_vehicles_no_delete BEFORE DELETE ON ref_vehicles
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_property_no_update BEFORE UPDATE ON ref_property
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_property_no_delete BEFORE DELETE ON ref_property
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_businesses_no_update BEFORE UPDATE ON ref_businesses
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_businesses_no_delete BEFORE DELETE ON ref_businesses
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_provident_fund_no_update BEFORE UPDATE ON ref_provident_fund
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
-- statement
CREATE TRIGGER ref_provident_fund_no_delete BEFORE DELETE ON ref_provident_fund
BEGIN
    SELECT RAISE(ABORT, 'ledger: reference rows are written once');
END;
