-- +goose Up
-- PostgreSQL twin of ../00100_hook_secrets.sql.
CREATE TABLE hook_secrets (
    source     TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    secret     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (source, id)
);

-- +goose Down
DROP TABLE hook_secrets;
