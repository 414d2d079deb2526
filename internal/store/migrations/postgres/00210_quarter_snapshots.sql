-- +goose Up
-- PostgreSQL twin of ../00210_quarter_snapshots.sql.
CREATE TABLE quarter_snapshots (
    team       TEXT COLLATE "C" NOT NULL,
    quarter    TEXT COLLATE "C" NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (team, quarter)
);

-- +goose Down
DROP TABLE quarter_snapshots;
