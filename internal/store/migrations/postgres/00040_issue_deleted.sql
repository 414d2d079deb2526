-- +goose Up
-- PostgreSQL twin of ../00040_issue_deleted.sql.
ALTER TABLE issue_state ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE issue_state DROP COLUMN deleted;
