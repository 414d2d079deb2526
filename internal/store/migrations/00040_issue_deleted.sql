-- +goose Up
-- An issue deleted in its tracker keeps its row as a tombstone (deleted = 1,
-- no status, in no ratio scope), so that an older event of the issue arriving
-- later (a redelivery, a late poll) cannot bring it back; a newer one (an
-- issue restored from Linear's trash) replaces it.
ALTER TABLE issue_state ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE issue_state DROP COLUMN deleted;
