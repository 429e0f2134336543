-- Koko schema, version 8: the feed by type. A page of some types (`BookStore::events` with `types`) reads each
-- type's range of this index from the position it starts after, at most a page of each, and merges them in
-- position order: the events of other types cost nothing however many there are. An index, so every write of the
-- feed — appends, a restore's events, a prune's delete — keeps it in step with the table.
CREATE INDEX koko_events_by_type ON koko_events (type, position);
