-- Identity and maker-checker, enforced by PostgreSQL itself (docs/operations.md).
-- Every row that records an operator also records the login that inserted it, whatever
-- the client sent.
CREATE FUNCTION ledger_stamp_login() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.db_login := session_user;
    RETURN NEW;
END
$$;
-- statement
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['transactions', 'audit_events', 'finding_events', 'roster_imports',
                             'refdata_imports', 'return_files', 'batches', 'batch_approvals',
                             'operators']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %I FOR EACH ROW '
                       'EXECUTE FUNCTION ledger_stamp_login()', t || '_stamp_login', t);
    END LOOP;
END
$$;
-- statement
-- An approval is never the maker's, is by a registered, active finance checker of the
-- department it claims, only of a draft; and when the login is a registered operator,
-- only in the login's own name.
CREATE FUNCTION ledger_approval_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE b record;
BEGIN
    SELECT state, created_by_key INTO b FROM batches WHERE id = NEW.batch_id;
    IF NEW.operator_key = b.created_by_key THEN
        RAISE EXCEPTION 'ledger: an approval by the batch''s maker is refused (maker-checker)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF b.state IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'ledger: only a draft batch can be approved'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM operators WHERE name_key = session_user)
       AND NEW.operator_key IS DISTINCT FROM session_user THEN
        RAISE EXCEPTION 'ledger: login % cannot approve as %', session_user, NEW.operator
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM operators o JOIN operator_roles r ON r.operator_id = o.id
        WHERE o.name_key = NEW.operator_key AND o.disabled_at IS NULL
          AND r.role = 'finance_checker'
    ) THEN
        RAISE EXCEPTION 'ledger: the approver is not an active finance_checker'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.department IS DISTINCT FROM
       (SELECT department FROM operators WHERE name_key = NEW.operator_key) THEN
        RAISE EXCEPTION 'ledger: an approval must carry its approver''s department'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
-- statement
CREATE TRIGGER batch_approvals_guard BEFORE INSERT ON batch_approvals
    FOR EACH ROW EXECUTE FUNCTION ledger_approval_guard();
-- statement
CREATE FUNCTION ledger_append_only_approvals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: approvals are append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
-- statement
CREATE TRIGGER batch_approvals_append_only BEFORE UPDATE OR DELETE ON batch_approvals
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only_approvals();
-- statement
CREATE TRIGGER batch_approvals_no_truncate BEFORE TRUNCATE ON batch_approvals
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only_approvals();
-- statement
-- Who made a batch and its rule never change; it is approved only by an operator whose
-- approval is recorded, and only when its approvals meet its rule.
CREATE FUNCTION ledger_batch_approval_rule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.created_by IS DISTINCT FROM OLD.created_by
       OR NEW.created_by_key IS DISTINCT FROM OLD.created_by_key
       OR NEW.approvals_required IS DISTINCT FROM OLD.approvals_required
       OR NEW.approvals_other_department IS DISTINCT FROM OLD.approvals_other_department
       OR NEW.db_login IS DISTINCT FROM OLD.db_login THEN
        RAISE EXCEPTION 'ledger: a batch''s maker and approval rule never change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.approved_by IS NOT NULL AND NEW.approved_by IS DISTINCT FROM OLD.approved_by THEN
        IF lower(normalize(btrim(NEW.approved_by), NFKC))
           = lower(normalize(btrim(NEW.created_by), NFKC)) THEN
            RAISE EXCEPTION 'ledger: the batch''s maker cannot be its approver (maker-checker)'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM batch_approvals a
                       WHERE a.batch_id = NEW.id AND a.operator = NEW.approved_by) THEN
            RAISE EXCEPTION 'ledger: the approver has no recorded approval of this batch'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF NEW.state = 'approved' AND OLD.state = 'draft' THEN
        IF (SELECT count(*) FROM batch_approvals a WHERE a.batch_id = NEW.id)
           < NEW.approvals_required THEN
            RAISE EXCEPTION 'ledger: the batch does not have the approvals its rule needs'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.approvals_other_department AND NOT EXISTS (
            SELECT 1 FROM batch_approvals a
            WHERE a.batch_id = NEW.id AND a.department IS NOT NULL
              AND a.department IS DISTINCT FROM
                  (SELECT o.department FROM operators o WHERE o.name_key = NEW.created_by_key)
        ) THEN
            RAISE EXCEPTION 'ledger: the batch needs a checker of another department'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
-- statement
CREATE TRIGGER batches_approval_rule BEFORE UPDATE ON batches
    FOR EACH ROW EXECUTE FUNCTION ledger_batch_approval_rule();
-- statement
CREATE FUNCTION ledger_operators_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger: operators are disabled, never deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.name IS DISTINCT FROM OLD.name OR NEW.name_key IS DISTINCT FROM OLD.name_key
       OR NEW.full_name IS DISTINCT FROM OLD.full_name
       OR NEW.created_by IS DISTINCT FROM OLD.created_by
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.db_login IS DISTINCT FROM OLD.db_login
       OR (OLD.department IS NOT NULL AND NEW.department IS DISTINCT FROM OLD.department)
       OR (OLD.disabled_at IS NOT NULL AND NEW.disabled_at IS DISTINCT FROM OLD.disabled_at)
    THEN
        RAISE EXCEPTION 'ledger: an operator''s name and department are fixed; disabled stays disabled'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
-- statement
CREATE TRIGGER operators_guard BEFORE UPDATE OR DELETE ON operators
    FOR EACH ROW EXECUTE FUNCTION ledger_operators_guard();
