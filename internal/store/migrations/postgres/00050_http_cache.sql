-- +goose Up
-- PostgreSQL twin of ../00050_http_cache.sql (the gzipped body is BYTEA).
CREATE TABLE http_cache (
    source     TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    etag       TEXT NOT NULL,
    header     TEXT NOT NULL,
    body       BYTEA NOT NULL,
    size       BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE INDEX http_cache_used ON http_cache (used_at);

-- +goose Down
DROP TABLE http_cache;
