-- A case's approvals are decisions: written once, never changed (schema/oneoff.py).
CREATE TRIGGER oneoff_approvals_no_update BEFORE UPDATE ON oneoff_approvals
BEGIN
    SELECT RAISE(ABORT, 'ledger: one-off case approvals are append-only');
END;
-- statement
CREATE TRIGGER oneoff_approvals_no_delete BEFORE DELETE ON oneoff_approvals
BEGIN
    SELECT RAISE(ABORT, 'ledger: one-off case approvals are append-only');
END;
