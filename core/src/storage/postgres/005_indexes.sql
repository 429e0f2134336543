-- Koko schema, version 5: indexes so that no per-request query reads what it does not return.
-- The ledger entries naming a rental (its charge, its fees, a found copy's credit), found by rental, so a receipt
-- reads a rental's entries without its customer's ledger.
CREATE INDEX koko_ledger_by_rental ON koko_ledger (rental_id, id) WHERE rental_id IS NOT NULL;
-- A book's queue (its waiting and ready holds) and the ready holds by the end of their pickup (an expiry), without
-- the holds that closed. (A customer's waiting and ready holds are koko_one_active_hold's, schema 3.)
CREATE INDEX koko_holds_active_by_book ON koko_holds (book_id, id) WHERE status IN ('waiting', 'ready');
CREATE INDEX koko_holds_ready_until ON koko_holds (ready_until, id) WHERE status = 'ready';
-- The open rentals by due date: the overdue ones, and those a notice is due for.
CREATE INDEX koko_rentals_open_by_due ON koko_rentals (due_at, id) WHERE returned_at IS NULL AND due_at IS NOT NULL;
