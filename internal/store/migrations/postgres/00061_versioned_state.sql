-- +goose Up
-- PostgreSQL twin of ../00061_versioned_state.sql: nothing to convert. A
-- PostgreSQL store never held unversioned state (rows copied from SQLite by
-- `goalpost store copy` were migrated there first).
SELECT 1;

-- +goose Down
SELECT 1;
