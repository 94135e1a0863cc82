-- A held payment leaves 'held' only for 'pending' through a recorded release
-- (hold_releases, written first by ledger.holds.release) or for 'voided' with its batch.
CREATE TRIGGER payment_instructions_held_needs_release BEFORE UPDATE OF status ON payment_instructions
WHEN OLD.status = 'held' AND NEW.status <> 'held' AND NOT (
    NEW.status = 'voided'
    OR (NEW.status = 'pending'
        AND EXISTS (SELECT 1 FROM hold_releases r WHERE r.instruction_id = OLD.id)))
BEGIN
    SELECT RAISE(ABORT, 'ledger: a held payment is paid only after a recorded release (ledger batch release)');
END;
