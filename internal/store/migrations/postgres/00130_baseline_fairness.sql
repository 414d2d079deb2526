-- +goose Up
-- PostgreSQL twin of ../00130_baseline_fairness.sql (ADR 19).
CREATE TABLE away_weeks (
    person TEXT COLLATE "C" NOT NULL,
    week   TEXT COLLATE "C" NOT NULL,
    set_at BIGINT NOT NULL,
    PRIMARY KEY (person, week)
);

-- +goose Down
DROP TABLE away_weeks;
