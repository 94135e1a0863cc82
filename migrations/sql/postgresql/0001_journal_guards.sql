-- The journal's guarantees, enforced by PostgreSQL itself (see docs/ledger.md).
-- Write order: all postings of a transaction first, then its header. The postings'
-- foreign key to the header is deferred, so postings without a header cannot commit.

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % is append-only; correct with a reversal', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
-- statement
CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER accounts_append_only BEFORE UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
-- A recorded transaction is complete: no posting may join it later. Statement level,
-- with the inserted rows as a transition table, so that a COPY of 10^6 postings runs
-- one check, not 10^6.
CREATE FUNCTION ledger_postings_only_before_header() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_postings n JOIN transactions t ON t.id = n.transaction_id) THEN
        RAISE EXCEPTION 'ledger: postings cannot be added to a recorded transaction'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
-- statement
CREATE TRIGGER postings_only_before_header AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_only_before_header();
-- statement
-- The header is inserted last and checks the transaction as a whole.
CREATE FUNCTION ledger_check_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    expected_id bigint;
    expected_prev text;
    n bigint;
    total numeric;
BEGIN
    SELECT COALESCE(MAX(id), 0) + 1 INTO expected_id FROM transactions;
    IF NEW.id <> expected_id THEN
        RAISE EXCEPTION 'ledger: transaction ids must follow the chain (expected %, got %)',
            expected_id, NEW.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT hash INTO expected_prev FROM transactions WHERE id = NEW.id - 1;
    IF NEW.prev_hash <> COALESCE(expected_prev, repeat('0', 64)) THEN
        RAISE EXCEPTION 'ledger: prev_hash does not match the previous transaction''s hash'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.period <> to_char(NEW.effective_date, 'YYYY-MM') THEN
        RAISE EXCEPTION 'ledger: period does not match the effective date'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM periods WHERE period = NEW.period AND status = 'closed') THEN
        RAISE EXCEPTION 'ledger: the period % is closed; post into an open period', NEW.period
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) INTO n, total
        FROM postings WHERE transaction_id = NEW.id;
    IF n <> NEW.posting_count THEN
        RAISE EXCEPTION 'ledger: posting count does not match the postings written (% vs %)',
            NEW.posting_count, n USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger: the transaction does not balance (postings sum to % fen)', total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Balance rules: only a debit can push a credit_only account debit, and only a
    -- credit can push a debit_only account credit, so only those accounts are summed.
    IF EXISTS (
        SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
        WHERE p.transaction_id = NEW.id AND p.amount_fen > 0 AND a.balance_rule = 'credit_only'
          AND (SELECT SUM(q.amount_fen) FROM postings q WHERE q.account_id = a.id) > 0
    ) THEN
        RAISE EXCEPTION 'ledger: a credit_only account (a payable) would go debit: paid more than owed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
        WHERE p.transaction_id = NEW.id AND p.amount_fen < 0 AND a.balance_rule = 'debit_only'
          AND (SELECT SUM(q.amount_fen) FROM postings q WHERE q.account_id = a.id) < 0
    ) THEN
        RAISE EXCEPTION 'ledger: a debit_only account (the treasury) would go negative'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
-- statement
CREATE TRIGGER transactions_check_insert BEFORE INSERT ON transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();
-- statement
CREATE FUNCTION ledger_periods_stay_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status = 'closed' THEN
        RAISE EXCEPTION 'ledger: a closed period cannot be reopened, changed or deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
-- statement
CREATE TRIGGER periods_stay_closed BEFORE UPDATE OR DELETE ON periods
    FOR EACH ROW EXECUTE FUNCTION ledger_periods_stay_closed();
