-- +goose Up
-- Signing secrets a service chose for a webhook and sent once (Asana's
-- X-Hook-Secret handshake), one row per (source, webhook resource). They
-- are never logged or shown; deleting a row makes the next handshake for
-- that resource accepted again.
CREATE TABLE hook_secrets (
    source     TEXT NOT NULL,
    id         TEXT NOT NULL,
    secret     TEXT NOT NULL,
    updated_at INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (source, id)
);

-- +goose Down
DROP TABLE hook_secrets;
