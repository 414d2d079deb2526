-- +goose Up
-- Only the events that set or delete an issue's state are found by unit
-- (issue 13, ADR 62): a closed week's history of an issue (ADR 43) reads
-- nothing else, and the other events (pull requests, shipped changes,
-- deploys: most of them) no longer pay an index entry. issue is 1 for such
-- an event: a unit and a status category (rules.IsIssueState), or an
-- issue.deleted with a unit. A 0 or 1 costs no byte in a SQLite row.
ALTER TABLE events ADD COLUMN issue INTEGER NOT NULL DEFAULT 0;
UPDATE events SET issue = 1 WHERE unit != ''
    AND (kind = 'issue.deleted' OR COALESCE(json_extract(body, '$.attrs.status_category'), '') != '');
DROP INDEX events_unit;
CREATE INDEX events_issue_unit ON events (unit, occurred_at) WHERE issue = 1;

-- +goose Down
DROP INDEX events_issue_unit;
CREATE INDEX events_unit ON events (unit, occurred_at);
ALTER TABLE events DROP COLUMN issue;
