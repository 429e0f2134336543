-- Koko schema, version 7: the event feed, written in the transaction of each change (an outbox), and the
-- checkpoints of its consumers.
--
-- Positions are gap-free in commit order. A sequence is not: a transaction can take 10 and commit after another
-- took 11, so a reader would see 11 and later find 10. Instead a transaction takes its positions by updating the
-- one row of koko_event_counter (last_position + n). The row stays locked until that transaction commits or rolls
-- back, so the next writer waits, reads the committed value and takes the positions after it: positions are
-- handed out in commit order, and a rolled-back transaction (or savepoint) gives its numbers back. PostgreSQL
-- makes a commit visible before it releases the transaction's locks, so whoever can read position n + 1 can read
-- n too. The events of a batch are written by its last statements, just before its commit: the counter is the
-- last lock a transaction takes (no deadlock), and writers queue on it only for their commits. A dry run, which
-- rolls back, takes no position.
CREATE TABLE koko_event_counter (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    last_position BIGINT NOT NULL CHECK (last_position >= 0)
);
INSERT INTO koko_event_counter (last_position) VALUES (0);
-- The events, by position; the id is derived from the position (stored, so a later scheme keeps old ids).
CREATE TABLE koko_events (
    position BIGINT PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    book_id BIGINT,
    copy_id BIGINT,
    customer_id BIGINT,
    rental_id BIGINT,
    hold_id BIGINT,
    data JSONB NOT NULL
);
-- Each consumer's checkpoint: the last position it handled.
CREATE TABLE koko_event_checkpoints (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL CHECK (position >= 0)
);
