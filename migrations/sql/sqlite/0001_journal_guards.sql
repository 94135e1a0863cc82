-- The journal's guarantees, enforced by SQLite itself (see docs/ledger.md).
-- Write order: all postings of a transaction first, then its header. The postings'
-- foreign key to the header is deferred, so postings without a header cannot commit.

-- Transactions and postings are append-only.
CREATE TRIGGER transactions_no_update BEFORE UPDATE ON transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger: transactions are append-only; correct with a reversal');
END;
-- statement
CREATE TRIGGER transactions_no_delete BEFORE DELETE ON transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger: transactions are append-only; correct with a reversal');
END;
-- statement
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
BEGIN
    SELECT RAISE(ABORT, 'ledger: postings are append-only; correct with a reversal');
END;
-- statement
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
BEGIN
    SELECT RAISE(ABORT, 'ledger: postings are append-only; correct with a reversal');
END;
-- statement
CREATE TRIGGER accounts_no_update BEFORE UPDATE ON accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger: accounts never change once opened');
END;
-- statement
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger: accounts never change once opened');
END;
-- statement
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'ledger: audit events are append-only');
END;
-- statement
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'ledger: audit events are append-only');
END;
-- statement
-- A recorded transaction is complete: no posting may join it later.
CREATE TRIGGER postings_only_before_header BEFORE INSERT ON postings
WHEN EXISTS (SELECT 1 FROM transactions WHERE id = NEW.transaction_id)
BEGIN
    SELECT RAISE(ABORT, 'ledger: postings cannot be added to a recorded transaction');
END;
-- statement
-- The header is inserted last and checks the transaction as a whole.
CREATE TRIGGER transactions_check_insert BEFORE INSERT ON transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger: transaction ids must follow the chain (previous id + 1)')
    WHERE NEW.id <> COALESCE((SELECT MAX(id) FROM transactions), 0) + 1;
    SELECT RAISE(ABORT, 'ledger: prev_hash does not match the previous transaction''s hash')
    WHERE NEW.prev_hash <> COALESCE(
        (SELECT hash FROM transactions WHERE id = NEW.id - 1),
        '0000000000000000000000000000000000000000000000000000000000000000');
    SELECT RAISE(ABORT, 'ledger: period does not match the effective date')
    WHERE NEW.period <> substr(NEW.effective_date, 1, 7);
    SELECT RAISE(ABORT, 'ledger: the period is closed; post into an open period')
    WHERE EXISTS (SELECT 1 FROM periods WHERE period = NEW.period AND status = 'closed');
    SELECT RAISE(ABORT, 'ledger: posting count does not match the postings written')
    WHERE NEW.posting_count <> (SELECT COUNT(*) FROM postings WHERE transaction_id = NEW.id);
    SELECT RAISE(ABORT, 'ledger: the transaction does not balance (postings must sum to 0)')
    WHERE (SELECT COALESCE(SUM(amount_fen), 0) FROM postings WHERE transaction_id = NEW.id) <> 0;
    -- Balance rules: only a debit can push a credit_only account debit, and only a credit
    -- can push a debit_only account credit, so only those accounts are summed.
    SELECT RAISE(ABORT, 'ledger: a credit_only account (a payable) would go debit: paid more than owed')
    WHERE EXISTS (
        SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
        WHERE p.transaction_id = NEW.id AND p.amount_fen > 0 AND a.balance_rule = 'credit_only'
          AND (SELECT SUM(q.amount_fen) FROM postings q WHERE q.account_id = a.id) > 0);
    SELECT RAISE(ABORT, 'ledger: a debit_only account (the treasury) would go negative')
    WHERE EXISTS (
        SELECT 1 FROM postings p JOIN accounts a ON a.id = p.account_id
        WHERE p.transaction_id = NEW.id AND p.amount_fen < 0 AND a.balance_rule = 'debit_only'
          AND (SELECT SUM(q.amount_fen) FROM postings q WHERE q.account_id = a.id) < 0);
END;
-- statement
-- A closed period stays closed.
CREATE TRIGGER periods_stay_closed BEFORE UPDATE ON periods
WHEN OLD.status = 'closed'
BEGIN
    SELECT RAISE(ABORT, 'ledger: a closed period cannot be reopened or changed');
END;
-- statement
CREATE TRIGGER periods_no_delete BEFORE DELETE ON periods
BEGIN
    SELECT RAISE(ABORT, 'ledger: periods are never deleted');
END;
