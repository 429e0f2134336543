-- Koko schema, version 6: more indexes so that no per-request query reads what it does not return.
-- The copies on the shelf, by book: a book's available copies are counted, and the books with one listed, without
-- their rented, held, lost and withdrawn copies.
CREATE INDEX koko_copies_on_shelf ON koko_copies (book_id, id)
    WHERE NOT withdrawn AND rental_id IS NULL AND hold_id IS NULL AND lost_rental_id IS NULL;
-- The closed rentals and the lost ones, each in id order (a listing by status), and every returned rental by
-- return time (the revenue of a period), without the open ones.
CREATE INDEX koko_rentals_closed ON koko_rentals (id) WHERE returned_at IS NOT NULL AND NOT lost;
CREATE INDEX koko_rentals_lost ON koko_rentals (id) WHERE lost;
CREATE INDEX koko_rentals_by_return ON koko_rentals (returned_at, id) WHERE returned_at IS NOT NULL;
-- Each customer's ledger by date (a statement reads its period and the nearer end of the rest), and the customers
-- who owe something (the aged balances), without those who owe nothing.
CREATE INDEX koko_ledger_by_date ON koko_ledger (customer_id, at, id);
CREATE INDEX koko_accounts_owing ON koko_accounts (customer_id) WHERE balance > 0;
-- Each customer's open rentals by due date: the overdue limit counts the overdue ones, up to the limit. And in id
-- order (schema 2's index held them by customer alone, so a page of them was sorted first).
CREATE INDEX koko_rentals_open_due_by_customer ON koko_rentals (customer_id, due_at) WHERE returned_at IS NULL;
DROP INDEX koko_rentals_open_by_customer;
CREATE INDEX koko_rentals_open_by_customer ON koko_rentals (customer_id, id) WHERE returned_at IS NULL;
-- A customer's e-mail address is their natural key: unique, case ignored, in email_key (written by Koko). A
-- database from before keeps its first customer's claim on an address it shares; `koko check` names the others.
ALTER TABLE koko_customers ADD COLUMN email_key TEXT;
UPDATE koko_customers AS c SET email_key = first.key
    FROM (SELECT DISTINCT ON (lower(email)) lower(email) AS key, id FROM koko_customers
          WHERE email IS NOT NULL ORDER BY lower(email), id) AS first
    WHERE c.id = first.id;
CREATE UNIQUE INDEX koko_customers_email_key ON koko_customers (email_key);
