-- +goose Up
-- PostgreSQL twin of ../00253_issue_state_reads_its_event.sql.
-- An issue's state no longer copies its latest event's source, kind, title
-- and URL (issue 13, ADR 62): they are read from that event (event_id,
-- through the events' id index) for the few rows shown.
ALTER TABLE issue_state DROP COLUMN source;
ALTER TABLE issue_state DROP COLUMN kind;
ALTER TABLE issue_state DROP COLUMN title;
ALTER TABLE issue_state DROP COLUMN url;

-- +goose Down
ALTER TABLE issue_state ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE issue_state ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE issue_state ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE issue_state ADD COLUMN url TEXT NOT NULL DEFAULT '';
UPDATE issue_state SET (source, kind, title, url) = (SELECT e.source, e.kind, e.title, e.url FROM events e WHERE e.id = issue_state.event_id)
    WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = issue_state.event_id);
