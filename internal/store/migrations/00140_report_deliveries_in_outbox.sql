-- +goose Up
-- One delivery mechanism (ADR 0009): weekly report deliveries are outbox
-- rows, target report:<destination>:<week>/<team>, sent by the writeback
-- sender like key-result writes. A delivery in several parts (Slack
-- messages, Notion blocks) keeps how far it got in the row, so a retry or a
-- restart resumes after the last confirmed part.
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN ref TEXT NOT NULL DEFAULT ''; -- destination's reference (Notion page id, file path)

-- The deliveries recorded so far move over with their history: pending stays
-- pending, sent stays sent (with its payload as the one sent), failed (a
-- permanent error) becomes parked with its reason.
INSERT INTO outbox (target, service, kr_key, payload, seq, state, attempts, next_attempt, last_error,
                    enqueued_at, sent_at, sent_payload, parked_at, parked_fp, parts_sent, ref)
SELECT 'report:' || destination || ':' || week || '/' || team, 'report', '',
       json_object('v', 1, 'team', team, 'week', week, 'destination', destination), 1,
       CASE state WHEN 'failed' THEN 'parked' ELSE state END,
       attempts, CASE state WHEN 'pending' THEN next_attempt ELSE 0 END, last_error,
       started_at, sent_at,
       CASE state WHEN 'sent' THEN json_object('v', 1, 'team', team, 'week', week, 'destination', destination) ELSE '' END,
       CASE state WHEN 'failed' THEN updated_at ELSE 0 END, '', parts_sent, ref
FROM report_deliveries WHERE true
ON CONFLICT (target) DO NOTHING;

DROP TABLE report_deliveries;

-- +goose Down
CREATE TABLE report_deliveries (
    team         TEXT NOT NULL,
    week         TEXT NOT NULL,
    destination  TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending',
    parts_sent   INTEGER NOT NULL DEFAULT 0,
    ref          TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    started_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    sent_at      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team, week, destination)
);
CREATE INDEX report_deliveries_pending ON report_deliveries (state, next_attempt);
INSERT INTO report_deliveries (team, week, destination, state, parts_sent, ref, attempts, next_attempt,
                               last_error, started_at, updated_at, sent_at)
SELECT json_extract(payload, '$.team'), json_extract(payload, '$.week'), json_extract(payload, '$.destination'),
       CASE state WHEN 'parked' THEN 'failed' ELSE state END, parts_sent, ref, attempts, next_attempt,
       last_error, enqueued_at, enqueued_at, sent_at
FROM outbox WHERE service = 'report';
DELETE FROM outbox WHERE service = 'report';
ALTER TABLE outbox DROP COLUMN ref;
ALTER TABLE outbox DROP COLUMN parts_sent;
