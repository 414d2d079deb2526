-- +goose Up
-- The GitHub connector's conditional-request cache, kept across processes so
-- that `goalpost sync --once` from cron sends If-None-Match too (a 304 is
-- free of rate limit). One row per (source, key); key is
-- "<identity hash> <url> <accept> <api version>", where the identity is a hash
-- of the credential, never the credential itself.
CREATE TABLE http_cache (
    source     TEXT NOT NULL,
    key        TEXT NOT NULL,
    etag       TEXT NOT NULL,
    header     TEXT NOT NULL,    -- JSON object: the headers replayed with the body (Link, Content-Type, ...)
    body       BLOB NOT NULL,    -- gzip of the 200 answer's body
    size       INTEGER NOT NULL, -- the body's uncompressed size in bytes
    updated_at INTEGER NOT NULL, -- unix ms the entry was saved
    used_at    INTEGER NOT NULL, -- unix ms it was last read (refreshed at most daily)
    PRIMARY KEY (source, key)
);
CREATE INDEX http_cache_used ON http_cache (used_at);

-- +goose Down
DROP TABLE http_cache;
