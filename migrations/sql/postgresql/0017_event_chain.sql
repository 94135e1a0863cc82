-- The audit events form one hash chain (ledger/db/events.py): each event carries its
-- hash, follows the last event, and names the journal head of its time.
CREATE FUNCTION ledger_audit_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_id bigint;
    last_hash text;
    head_id bigint;
BEGIN
    IF NEW.hash IS NULL OR NEW.prev_hash IS NULL OR NEW.state IS NULL THEN
        RAISE EXCEPTION 'ledger: an audit event must carry its chain hash'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT id, hash INTO last_id, last_hash FROM audit_events ORDER BY id DESC LIMIT 1;
    IF NEW.id <> COALESCE(last_id, 0) + 1 THEN
        RAISE EXCEPTION 'ledger: audit event ids must follow the chain (expected %, got %)',
            COALESCE(last_id, 0) + 1, NEW.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.prev_hash <> COALESCE(last_hash, repeat('0', 64)) THEN
        RAISE EXCEPTION 'ledger: prev_hash does not match the previous audit event''s hash'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT MAX(id) INTO head_id FROM transactions;
    IF NEW.journal_transaction_id IS DISTINCT FROM head_id
       OR NEW.journal_hash IS DISTINCT FROM
          (SELECT hash FROM transactions WHERE id = NEW.journal_transaction_id) THEN
        RAISE EXCEPTION 'ledger: an audit event names a journal head that is not the journal''s'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
-- statement
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ledger_audit_event_chain();
