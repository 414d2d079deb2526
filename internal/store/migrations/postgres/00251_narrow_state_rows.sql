-- +goose Up
-- PostgreSQL twin of ../00251_narrow_state_rows.sql. Its tables are heaps,
-- so issue_state stays as it is; a window row's time index holds the time
-- alone (ties by event id are sorted from the rows, incrementally).
DROP INDEX kr_points_at;
CREATE INDEX kr_points_at ON kr_points (kr_key, at);

-- +goose Down
DROP INDEX kr_points_at;
CREATE INDEX kr_points_at ON kr_points (kr_key, at, event_id);
