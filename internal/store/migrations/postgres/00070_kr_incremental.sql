-- +goose Up
-- PostgreSQL twin of ../00070_kr_incremental.sql (ADR 11).
CREATE TABLE kr_window (
    kr_key  TEXT COLLATE "C" PRIMARY KEY,
    from_ms BIGINT NOT NULL,
    to_ms   BIGINT NOT NULL,
    units   INTEGER NOT NULL
);

CREATE TABLE kr_points (
    kr_key   TEXT COLLATE "C" NOT NULL,
    grp      TEXT COLLATE "C" NOT NULL,
    at       BIGINT NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,
    value    DOUBLE PRECISION,
    PRIMARY KEY (kr_key, grp)
);
CREATE INDEX kr_points_at ON kr_points (kr_key, at, event_id);
CREATE INDEX kr_points_value ON kr_points (kr_key, value) WHERE value IS NOT NULL;

CREATE TABLE kr_ratio (
    kr_key TEXT COLLATE "C" PRIMARY KEY,
    done   INTEGER NOT NULL,
    total  INTEGER NOT NULL
);

ALTER TABLE kr_issues ADD COLUMN in_ratio INTEGER NOT NULL DEFAULT 0;
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
