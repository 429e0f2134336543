-- Koko schema, version 3: holds, copies set aside for them, and lost copies.
CREATE SEQUENCE koko_hold_seq;

ALTER TABLE koko_rentals ADD COLUMN lost BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE koko_rentals ADD CONSTRAINT koko_rentals_lost_closed CHECK (NOT lost OR returned_at IS NOT NULL);

CREATE TABLE koko_holds (
    id          BIGINT PRIMARY KEY CHECK (id > 0),
    book_id     BIGINT NOT NULL REFERENCES koko_books (id),
    customer_id BIGINT NOT NULL REFERENCES koko_customers (id),
    placed_at   TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')),
    copy_id     BIGINT REFERENCES koko_copies (id),
    ready_until TIMESTAMPTZ,
    closed_at   TIMESTAMPTZ,
    rental_id   BIGINT REFERENCES koko_rentals (id) DEFERRABLE INITIALLY DEFERRED,
    CHECK (status <> 'ready' OR (copy_id IS NOT NULL AND ready_until IS NOT NULL)),
    CHECK ((status IN ('waiting', 'ready')) = (closed_at IS NULL)),
    CHECK ((status = 'fulfilled') = (rental_id IS NOT NULL))
);
-- Each book's queue, in order.
CREATE INDEX koko_holds_waiting ON koko_holds (book_id, id) WHERE status = 'waiting';
CREATE INDEX koko_holds_ready ON koko_holds (id) WHERE status = 'ready';
CREATE INDEX koko_holds_by_customer ON koko_holds (customer_id, id);
-- One active hold per customer and book, and a copy set aside for one hold at a time, whatever a client does.
CREATE UNIQUE INDEX koko_one_active_hold ON koko_holds (customer_id, book_id) WHERE status IN ('waiting', 'ready');
CREATE UNIQUE INDEX koko_one_ready_hold_per_copy ON koko_holds (copy_id) WHERE status = 'ready';

-- A copy is on the shelf, rented, set aside for a hold, lost, or withdrawn: one of them at a time.
ALTER TABLE koko_copies ADD COLUMN hold_id BIGINT REFERENCES koko_holds (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE koko_copies ADD COLUMN lost_rental_id BIGINT REFERENCES koko_rentals (id);
ALTER TABLE koko_copies ADD CONSTRAINT koko_copies_one_status
    CHECK (num_nonnulls(rental_id, hold_id, lost_rental_id) <= 1
           AND NOT (withdrawn AND num_nonnulls(rental_id, hold_id, lost_rental_id) > 0));

-- The notices sent (by key), so each is sent once.
CREATE TABLE koko_notices (
    key     TEXT PRIMARY KEY,
    sent_at TIMESTAMPTZ NOT NULL
);
