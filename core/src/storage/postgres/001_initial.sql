-- Koko schema, version 1. Constraints keep the invariants even against a buggy client.
CREATE SEQUENCE koko_book_seq;
CREATE SEQUENCE koko_copy_seq;
CREATE SEQUENCE koko_customer_seq;
CREATE SEQUENCE koko_rental_seq;
CREATE SEQUENCE koko_plan_version_seq;

CREATE TABLE koko_books (
    id        BIGINT PRIMARY KEY CHECK (id > 0),
    title     TEXT NOT NULL CHECK (length(btrim(title)) > 0),
    title_key TEXT NOT NULL UNIQUE,
    author    TEXT NOT NULL CHECK (length(btrim(author)) > 0),
    isbn      TEXT UNIQUE,
    category  TEXT NOT NULL CHECK (length(category) > 0)
);

CREATE TABLE koko_customers (
    id         BIGINT PRIMARY KEY CHECK (id > 0),
    first_name TEXT NOT NULL CHECK (length(btrim(first_name)) > 0),
    last_name  TEXT NOT NULL CHECK (length(btrim(last_name)) > 0),
    email      TEXT,
    active     BOOLEAN NOT NULL
);

CREATE TABLE koko_plan_versions (
    id             BIGINT PRIMARY KEY CHECK (id > 0),
    effective_from TIMESTAMPTZ NOT NULL UNIQUE,
    plan           TEXT NOT NULL
);

CREATE TABLE koko_copies (
    id        BIGINT PRIMARY KEY CHECK (id > 0),
    book_id   BIGINT NOT NULL REFERENCES koko_books (id),
    withdrawn BOOLEAN NOT NULL DEFAULT false,
    rental_id BIGINT,
    CHECK (NOT (withdrawn AND rental_id IS NOT NULL))
);
CREATE INDEX koko_copies_by_book ON koko_copies (book_id, id);

CREATE TABLE koko_rentals (
    id           BIGINT PRIMARY KEY CHECK (id > 0),
    copy_id      BIGINT NOT NULL REFERENCES koko_copies (id),
    book_id      BIGINT NOT NULL REFERENCES koko_books (id),
    customer_id  BIGINT NOT NULL REFERENCES koko_customers (id),
    category     TEXT NOT NULL,
    rented_at    TIMESTAMPTZ NOT NULL,
    due_at       TIMESTAMPTZ,
    returned_at  TIMESTAMPTZ,
    plan_version BIGINT NOT NULL REFERENCES koko_plan_versions (id),
    charge_total NUMERIC CHECK (charge_total >= 0),
    charge       JSONB,
    CHECK (returned_at IS NULL OR returned_at >= rented_at),
    CHECK ((returned_at IS NULL) = (charge IS NULL) AND (charge IS NULL) = (charge_total IS NULL))
);
-- At most one open rental per copy, whatever a client does.
CREATE UNIQUE INDEX koko_one_open_rental_per_copy ON koko_rentals (copy_id) WHERE returned_at IS NULL;
CREATE INDEX koko_rentals_open ON koko_rentals (id) WHERE returned_at IS NULL;
CREATE INDEX koko_rentals_by_customer ON koko_rentals (customer_id, id);

-- A copy marked rented points at its rental (checked at commit: the copy is marked before the rental is inserted).
ALTER TABLE koko_copies ADD CONSTRAINT koko_copies_rental_fk
    FOREIGN KEY (rental_id) REFERENCES koko_rentals (id) DEFERRABLE INITIALLY DEFERRED;
