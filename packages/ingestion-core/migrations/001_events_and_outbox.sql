-- Events as accepted by the API, with their processing state.
CREATE TABLE events (
    id                 uuid PRIMARY KEY,
    cloud_event_id     text        NOT NULL,
    source             text        NOT NULL,
    type               text        NOT NULL,
    spec_version       text        NOT NULL DEFAULT '1.0',
    subject            text,
    -- The RFC 3339 timestamp exactly as the client sent it.
    time               text,
    data_content_type  text,
    data_schema        text,
    -- The bytes the client sent as data, unchanged, so handlers and readers get exactly what was sent.
    data               bytea,
    extensions         jsonb       NOT NULL DEFAULT '{}',
    fingerprint        bytea       NOT NULL,
    status             text        NOT NULL DEFAULT 'accepted'
                       CHECK (status IN ('accepted', 'retrying', 'processed', 'failed')),
    attempts           integer     NOT NULL DEFAULT 0,
    -- Number of the delivery the worker expects next; a message with another number is a duplicate.
    delivery_seq       integer     NOT NULL DEFAULT 1,
    last_error         text,
    errors             jsonb       NOT NULL DEFAULT '[]',
    traceparent        text,
    received_at        timestamptz NOT NULL DEFAULT now(),
    processed_at       timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_source_cloud_event_id_key UNIQUE (source, cloud_event_id)
);

CREATE INDEX events_failed_idx ON events (type, received_at) WHERE status = 'failed';

-- Deliveries waiting to be published to RabbitMQ. A row is deleted only after the broker confirmed it.
-- No foreign key to events: the check would lock each event row on insert, and rows are only
-- ever written in the same transaction as their event.
CREATE TABLE outbox (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      uuid        NOT NULL,
    delivery_seq  integer     NOT NULL DEFAULT 1,
    -- 'process' publishes to the events exchange for the workers; 'dead-letter' publishes the event
    -- to the dead-letter exchange after its last failed attempt, with last_error as the reason.
    kind          text        NOT NULL DEFAULT 'process' CHECK (kind IN ('process', 'dead-letter')),
    -- Earliest time the relay may publish the row; later than created_at for scheduled retries.
    available_at  timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_scheduled_idx ON outbox (available_at) WHERE available_at > created_at;

-- Effect of the example handler for "order.created": one row per processed order event.
-- No unique constraint on event_id on purpose: the consumer's own guard must keep effects
-- exactly-once, and tests count these rows to prove it.
CREATE TABLE example_orders (
    event_id      uuid        NOT NULL,
    order_id      text        NOT NULL,
    amount_cents  bigint      NOT NULL,
    currency      text        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX example_orders_event_id_idx ON example_orders (event_id);
