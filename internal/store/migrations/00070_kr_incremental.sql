-- +goose Up
-- Incremental key-result state (ADR 11): what each key result's aggregate
-- needs, kept up to date per event in the batch's transaction, so that the
-- cost of an evaluation does not grow with the stored history. Everything
-- here can be recomputed from kr_matches, kr_nodes and kr_issues (rebuild,
-- check mode); plain SQL that PostgreSQL runs as well.

-- The window each count, milestone and metric key result was last
-- evaluated over, [from_ms, to_ms), and how many unit groups it holds.
CREATE TABLE kr_window (
    kr_key  TEXT PRIMARY KEY,
    from_ms BIGINT NOT NULL,
    to_ms   BIGINT NOT NULL,
    units   INTEGER NOT NULL
);

-- One row per unit group in the key result's window: the group's latest
-- match before to_ms (its representative, which carries the metric value).
-- A group enters when a match of it falls in the window and leaves when its
-- latest match falls behind from_ms.
CREATE TABLE kr_points (
    kr_key   TEXT NOT NULL,
    grp      TEXT NOT NULL,
    at       BIGINT NOT NULL, -- unix ms of the representative match
    event_id TEXT NOT NULL,
    value    DOUBLE PRECISION,
    PRIMARY KEY (kr_key, grp)
);
CREATE INDEX kr_points_at ON kr_points (kr_key, at, event_id);
CREATE INDEX kr_points_value ON kr_points (kr_key, value) WHERE value IS NOT NULL; -- metrics only

-- Done and total issues of each ratio key result's scope.
CREATE TABLE kr_ratio (
    kr_key TEXT PRIMARY KEY,
    done   INTEGER NOT NULL,
    total  INTEGER NOT NULL
);

-- Each scope row carries what the ratio counts and orders its evidence by,
-- copied from issue_state when the issue changes.
ALTER TABLE kr_issues ADD COLUMN in_ratio INTEGER NOT NULL DEFAULT 0; -- not canceled, not deleted
ALTER TABLE kr_issues ADD COLUMN done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kr_issues ADD COLUMN done_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE kr_issues ADD COLUMN occurred_at BIGINT NOT NULL DEFAULT 0;
UPDATE kr_issues SET
    in_ratio = COALESCE((SELECT CASE WHEN i.canceled = 0 AND i.deleted = 0 THEN 1 ELSE 0 END FROM issue_state i WHERE i.unit = kr_issues.unit), 0),
    done = COALESCE((SELECT CASE WHEN i.status_category = 'done' THEN 1 ELSE 0 END FROM issue_state i WHERE i.unit = kr_issues.unit), 0),
    done_at = COALESCE((SELECT i.done_at FROM issue_state i WHERE i.unit = kr_issues.unit), 0),
    occurred_at = COALESCE((SELECT i.occurred_at FROM issue_state i WHERE i.unit = kr_issues.unit), 0);
CREATE INDEX kr_issues_order ON kr_issues (kr_key, in_ratio, done DESC, done_at DESC, occurred_at DESC, unit);

-- +goose Down
DROP INDEX kr_issues_order;
ALTER TABLE kr_issues DROP COLUMN occurred_at;
ALTER TABLE kr_issues DROP COLUMN done_at;
ALTER TABLE kr_issues DROP COLUMN done;
ALTER TABLE kr_issues DROP COLUMN in_ratio;
DROP TABLE kr_ratio;
DROP TABLE kr_points;
DROP TABLE kr_window;
