-- Koko schema, version 2: customer accounts (an append-only ledger, balances, blocks), idempotency keys, and the
-- renewals of each rental.
ALTER TABLE koko_rentals ADD COLUMN renewals TIMESTAMPTZ[] NOT NULL DEFAULT '{}';

CREATE SEQUENCE koko_ledger_entry_seq;

CREATE TABLE koko_accounts (
    customer_id  BIGINT PRIMARY KEY REFERENCES koko_customers (id),
    balance      NUMERIC NOT NULL DEFAULT 0,
    block_reason TEXT,
    block_since  TIMESTAMPTZ,
    block_until  TIMESTAMPTZ,
    CHECK ((block_reason IS NULL) = (block_since IS NULL)),
    CHECK (block_until IS NULL OR block_reason IS NOT NULL)
);

CREATE TABLE koko_ledger (
    id            BIGINT PRIMARY KEY CHECK (id > 0),
    customer_id   BIGINT NOT NULL REFERENCES koko_customers (id),
    kind          TEXT NOT NULL CHECK (kind IN ('charge', 'fee', 'payment', 'waiver', 'refund')),
    amount        NUMERIC NOT NULL CHECK (amount >= 0),
    currency      TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    rental_id     BIGINT REFERENCES koko_rentals (id),
    note          TEXT,
    balance_after NUMERIC NOT NULL,
    CHECK (kind <> 'charge' OR rental_id IS NOT NULL),
    CHECK (kind NOT IN ('waiver', 'refund') OR note IS NOT NULL)
);
CREATE INDEX koko_ledger_by_customer ON koko_ledger (customer_id, id);
-- A closed rental has exactly one charge entry, whatever a client does.
CREATE UNIQUE INDEX koko_one_charge_per_rental ON koko_ledger (rental_id) WHERE kind = 'charge';

-- The ledger is append-only: a correction is a new entry, never an edit.
CREATE FUNCTION koko_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'koko_ledger is append-only: post a new entry instead of changing one';
END
$$;
CREATE TRIGGER koko_ledger_no_change BEFORE UPDATE OR DELETE ON koko_ledger
    FOR EACH ROW EXECUTE FUNCTION koko_ledger_append_only();

CREATE TABLE koko_idempotency_keys (
    key         TEXT PRIMARY KEY,
    request     TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
-- Each customer's open rentals (the open-rental and overdue limits read them inside every rent).
CREATE INDEX koko_rentals_open_by_customer ON koko_rentals (customer_id) WHERE returned_at IS NULL;

CREATE INDEX koko_idempotency_keys_by_age ON koko_idempotency_keys (recorded_at);

-- The rentals closed before accounts existed: one charge entry each, in rental id order, dated at the return.
INSERT INTO koko_ledger (id, customer_id, kind, amount, currency, at, rental_id, balance_after)
SELECT row_number() OVER (ORDER BY id), customer_id, 'charge', charge_total, charge ->> 'currency', returned_at, id,
       sum(charge_total) OVER (PARTITION BY customer_id ORDER BY id)
FROM koko_rentals
WHERE returned_at IS NOT NULL;
SELECT setval('koko_ledger_entry_seq', greatest((SELECT max(id) FROM koko_ledger), 1),
              (SELECT count(*) > 0 FROM koko_ledger));

INSERT INTO koko_accounts (customer_id, balance)
SELECT c.id, coalesce((SELECT sum(r.charge_total) FROM koko_rentals r
                       WHERE r.customer_id = c.id AND r.returned_at IS NOT NULL), 0)
FROM koko_customers c;
