-- +goose Up
-- Why a write was parked, against which sink configuration: a parked write is
-- retried when its service's configuration fingerprint changes (a fixed token,
-- a renamed property), not on every start.
ALTER TABLE outbox ADD COLUMN parked_fp TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN parked_at INTEGER NOT NULL DEFAULT 0; -- unix ms

-- +goose Down
ALTER TABLE outbox DROP COLUMN parked_at;
ALTER TABLE outbox DROP COLUMN parked_fp;
