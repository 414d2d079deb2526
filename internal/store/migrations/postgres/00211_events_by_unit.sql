-- +goose Up
-- PostgreSQL twin of ../00211_events_by_unit.sql.
CREATE INDEX events_unit ON events (unit, occurred_at);

-- +goose Down
DROP INDEX events_unit;
