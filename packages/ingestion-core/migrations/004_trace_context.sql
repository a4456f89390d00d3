-- W3C trace context of the span that queued each delivery, so the relay's publish span joins the
-- trace of the ingest request (first delivery) or of the worker attempt (retry, dead-letter copy).
-- events.traceparent keeps the context of the ingest request; the relay falls back to it for rows
-- queued without one, such as replays.
ALTER TABLE outbox ADD COLUMN traceparent text;
