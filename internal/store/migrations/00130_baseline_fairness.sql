-- +goose Up
-- Weeks a person was away (`goalpost away PERSON WEEK`), on top of those in
-- the configuration: in the weekly baseline they are neither misses nor
-- silent (ADR 19).
CREATE TABLE away_weeks (
    person TEXT NOT NULL,
    week   TEXT NOT NULL,    -- ISO week, e.g. 2026-W47
    set_at INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (person, week)
);

-- +goose Down
DROP TABLE away_weeks;
