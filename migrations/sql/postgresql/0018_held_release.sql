-- A held payment leaves 'held' only for 'pending' through a recorded release
-- (hold_releases, written first by ledger.holds.release) or for 'voided' with its batch.
CREATE FUNCTION ledger_held_needs_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'voided' OR (NEW.status = 'pending' AND EXISTS (
        SELECT 1 FROM hold_releases r WHERE r.instruction_id = OLD.id)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ledger: a held payment is paid only after a recorded release (ledger batch release)'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
-- statement
CREATE TRIGGER payment_instructions_held_needs_release BEFORE UPDATE OF status ON payment_instructions
    FOR EACH ROW WHEN (OLD.status = 'held' AND NEW.status IS DISTINCT FROM 'held')
    EXECUTE FUNCTION ledger_held_needs_release();
