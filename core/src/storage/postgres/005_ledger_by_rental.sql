-- Koko schema, version 5: the ledger entries naming a rental (its charge, its fees, a found copy's credit), found
-- by rental, so a receipt reads a rental's entries without its customer's ledger.
CREATE INDEX koko_ledger_by_rental ON koko_ledger (rental_id, id) WHERE rental_id IS NOT NULL;
