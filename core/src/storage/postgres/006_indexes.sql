-- Koko schema, version 6: more indexes so that no per-request query reads what it does not return.
-- The copies on the shelf, by book: a book's available copies are counted, and the books with one listed, without
-- their rented, held, lost and withdrawn copies.
CREATE INDEX koko_copies_on_shelf ON koko_copies (book_id, id)
    WHERE NOT withdrawn AND rental_id IS NULL AND hold_id IS NULL AND lost_rental_id IS NULL;
