-- +goose Up
-- PostgreSQL twin of ../00250_issue_events_by_unit.sql: the events that set
-- or delete an issue's state, and only they, are indexed by unit.
ALTER TABLE events ADD COLUMN issue INTEGER NOT NULL DEFAULT 0;
UPDATE events SET issue = 1 WHERE unit != ''
    AND (kind = 'issue.deleted' OR COALESCE(body::jsonb -> 'attrs' ->> 'status_category', '') != '');
DROP INDEX events_unit;
CREATE INDEX events_issue_unit ON events (unit, occurred_at) WHERE issue = 1;

-- +goose Down
DROP INDEX events_issue_unit;
CREATE INDEX events_unit ON events (unit, occurred_at);
ALTER TABLE events DROP COLUMN issue;
