-- +goose Up
-- The service a write goes to, as its own column: counting, unparking and
-- retrying by service read it instead of taking the target key apart. The
-- backfill reads the service off the keys written so far (the text form of
-- outbox.Target, service:kind:id); new rows get it from the typed target.
ALTER TABLE outbox ADD COLUMN service TEXT NOT NULL DEFAULT '';
UPDATE outbox SET service = substr(target, 1, instr(target, ':') - 1);

-- +goose Down
ALTER TABLE outbox DROP COLUMN service;
