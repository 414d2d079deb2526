-- +goose Up
-- PostgreSQL twin of ../00140_report_deliveries_in_outbox.sql (ADR 0009):
-- weekly report deliveries become outbox rows.
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN ref TEXT NOT NULL DEFAULT '';

INSERT INTO outbox (target, service, kr_key, payload, seq, state, attempts, next_attempt, last_error,
                    enqueued_at, sent_at, sent_payload, parked_at, parked_fp, parts_sent, ref)
SELECT 'report:' || destination || ':' || week || '/' || team, 'report', '',
       json_build_object('v', 1, 'team', team, 'week', week, 'destination', destination)::text, 1,
       CASE state WHEN 'failed' THEN 'parked' ELSE state END,
       attempts, CASE state WHEN 'pending' THEN next_attempt ELSE 0 END, last_error,
       started_at, sent_at,
       CASE state WHEN 'sent' THEN json_build_object('v', 1, 'team', team, 'week', week, 'destination', destination)::text ELSE '' END,
       CASE state WHEN 'failed' THEN updated_at ELSE 0 END, '', parts_sent, ref
FROM report_deliveries
ON CONFLICT (target) DO NOTHING;

DROP TABLE report_deliveries;

-- +goose Down
CREATE TABLE report_deliveries (
    team         TEXT COLLATE "C" NOT NULL,
    week         TEXT COLLATE "C" NOT NULL,
    destination  TEXT COLLATE "C" NOT NULL,
    state        TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
    parts_sent   INTEGER NOT NULL DEFAULT 0,
    ref          TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    started_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    sent_at      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team, week, destination)
);
CREATE INDEX report_deliveries_pending ON report_deliveries (state, next_attempt);
INSERT INTO report_deliveries (team, week, destination, state, parts_sent, ref, attempts, next_attempt,
                               last_error, started_at, updated_at, sent_at)
SELECT payload::jsonb ->> 'team', payload::jsonb ->> 'week', payload::jsonb ->> 'destination',
       CASE state WHEN 'parked' THEN 'failed' ELSE state END, parts_sent, ref, attempts, next_attempt,
       last_error, enqueued_at, enqueued_at, sent_at
FROM outbox WHERE service = 'report';
DELETE FROM outbox WHERE service = 'report';
ALTER TABLE outbox DROP COLUMN ref;
ALTER TABLE outbox DROP COLUMN parts_sent;
