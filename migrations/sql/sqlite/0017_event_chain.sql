-- The audit events form one hash chain (ledger/db/events.py): each event carries its
-- hash, follows the last event, and names a journal head that is in the journal.
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'ledger: an audit event must carry its chain hash')
    WHERE NEW.hash IS NULL OR NEW.prev_hash IS NULL OR NEW.state IS NULL;
    SELECT RAISE(ABORT, 'ledger: audit event ids must follow the chain (previous id + 1)')
    WHERE NEW.id <> COALESCE((SELECT MAX(id) FROM audit_events), 0) + 1;
    SELECT RAISE(ABORT, 'ledger: prev_hash does not match the previous audit event''s hash')
    WHERE NEW.prev_hash <> COALESCE(
        (SELECT hash FROM audit_events WHERE id = NEW.id - 1),
        '0000000000000000000000000000000000000000000000000000000000000000');
    SELECT RAISE(ABORT, 'ledger: an audit event names a journal head that is not the journal''s')
    WHERE NEW.journal_transaction_id IS NOT
        (SELECT MAX(id) FROM transactions)
       OR NEW.journal_hash IS NOT
        (SELECT hash FROM transactions WHERE id = NEW.journal_transaction_id);
END;
