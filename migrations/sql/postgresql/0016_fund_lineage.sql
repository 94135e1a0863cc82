-- Fund lineage is append-only (schema/funds.py, docs/ledger.md "Fund lineage").
CREATE TRIGGER fund_lineage_append_only BEFORE UPDATE OR DELETE ON fund_lineage
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
-- statement
CREATE TRIGGER fund_lineage_no_truncate BEFORE TRUNCATE ON fund_lineage
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- statement
-- No allocation gives more than it holds, nor gets back more than was taken from it.
CREATE FUNCTION ledger_fund_lineage_within_allocation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    taken BIGINT;
    held BIGINT;
BEGIN
    IF NEW.allocation_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT SUM(amount_fen) INTO taken FROM fund_lineage WHERE allocation_id = NEW.allocation_id;
    SELECT amount_fen INTO held FROM allocations WHERE transaction_id = NEW.allocation_id;
    IF taken > held OR taken < 0 THEN
        RAISE EXCEPTION 'ledger: fund lineage would take more from allocation % than it holds (%), or give back more than was taken (%)',
            NEW.allocation_id, held, taken;
    END IF;
    RETURN NULL;
END;
$$;
-- statement
CREATE TRIGGER fund_lineage_within_allocation AFTER INSERT ON fund_lineage
    FOR EACH ROW EXECUTE FUNCTION ledger_fund_lineage_within_allocation();
