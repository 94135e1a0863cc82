-- Fund lineage is append-only (schema/funds.py, docs/ledger.md "Fund lineage").
CREATE TRIGGER fund_lineage_no_update BEFORE UPDATE ON fund_lineage
BEGIN
    SELECT RAISE(ABORT, 'ledger: fund lineage is append-only');
END;
-- statement
CREATE TRIGGER fund_lineage_no_delete BEFORE DELETE ON fund_lineage
BEGIN
    SELECT RAISE(ABORT, 'ledger: fund lineage is append-only');
END;
-- statement
-- No allocation gives more than it holds, nor gets back more than was taken from it.
CREATE TRIGGER fund_lineage_within_allocation AFTER INSERT ON fund_lineage
WHEN NEW.allocation_id IS NOT NULL AND (
    (SELECT SUM(amount_fen) FROM fund_lineage WHERE allocation_id = NEW.allocation_id)
        > (SELECT amount_fen FROM allocations WHERE transaction_id = NEW.allocation_id)
    OR (SELECT SUM(amount_fen) FROM fund_lineage WHERE allocation_id = NEW.allocation_id) < 0
)
BEGIN
    SELECT RAISE(ABORT, 'ledger: fund lineage would take more from an allocation than it holds, or give back more than was taken');
END;
