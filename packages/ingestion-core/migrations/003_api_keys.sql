-- API keys. Only a SHA-256 hash of each key is stored: keys are 256 random bits, so a fast hash
-- cannot be reversed by guessing, and the plain key is shown once, when it is created.
CREATE TABLE api_keys (
    id                     uuid        PRIMARY KEY,
    name                   text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    key_hash               bytea       NOT NULL UNIQUE,
    -- The first characters of the key, so that an operator can recognise it in listings.
    key_prefix             text        NOT NULL,
    scopes                 text[]      NOT NULL
                           CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['ingest', 'read', 'admin']),
    -- Requests per minute this key may make; NULL means the API's RATE_LIMIT_PER_MINUTE.
    rate_limit_per_minute  integer     CHECK (rate_limit_per_minute > 0),
    created_at             timestamptz NOT NULL DEFAULT now(),
    revoked_at             timestamptz
);
