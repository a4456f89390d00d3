-- Lets the worker record an outcome with a HOT update: a new row version on the same page and no new
-- index entries. PostgreSQL makes an update HOT only when no indexed column changes, columns in an
-- index predicate included, and the page has room. The old index of failed events had `status` in
-- its predicate, so every status change also wrote new entries into the primary key and the
-- (source, cloud_event_id) index.
--
-- The new index holds the events with an error: retrying and failed ones. last_error stays NULL
-- while an event goes from accepted to processed, so that path leaves the index alone. Queries for
-- failed events add `last_error IS NOT NULL`, which every failed event satisfies, to use it.
--
-- NOTE: CREATE INDEX blocks writes to events while it builds; on a large table, build the index
-- with CREATE INDEX CONCURRENTLY by hand first, and this migration then keeps it.
CREATE INDEX IF NOT EXISTS events_errored_idx ON events (type, received_at) WHERE last_error IS NOT NULL;
DROP INDEX events_failed_idx;

-- Free space on each page for the new versions of its rows; it applies to pages written from now on.
ALTER TABLE events SET (fillfactor = 80);
