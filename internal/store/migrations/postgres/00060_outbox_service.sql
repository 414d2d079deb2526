-- +goose Up
-- PostgreSQL twin of ../00060_outbox_service.sql.
ALTER TABLE outbox ADD COLUMN service TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE outbox SET service = split_part(target, ':', 1);

-- +goose Down
ALTER TABLE outbox DROP COLUMN service;
