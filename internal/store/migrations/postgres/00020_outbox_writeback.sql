-- +goose Up
-- PostgreSQL twin of ../00020_outbox_writeback.sql.
ALTER TABLE outbox ADD COLUMN parked_fp TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN parked_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE outbox DROP COLUMN parked_at;
ALTER TABLE outbox DROP COLUMN parked_fp;
