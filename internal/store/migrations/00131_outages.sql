-- +goose Up
-- The moment each source's current outage began (the first failed poll
-- after a success), kept across restarts so that a stale key result's
-- frozen value never depends on when the process restarted (ADR 7). 0 when
-- the source is healthy.
ALTER TABLE source_health ADD COLUMN failing_since INTEGER NOT NULL DEFAULT 0; -- unix ms

-- +goose Down
ALTER TABLE source_health DROP COLUMN failing_since;
