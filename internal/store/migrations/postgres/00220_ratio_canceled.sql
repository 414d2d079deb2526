-- +goose Up
-- PostgreSQL twin of ../00220_ratio_canceled.sql. Canceled issues kept apart in each ratio's counts (ADR 10, ADR 45): a
-- ratio key result chooses whether canceled / won't-do / duplicate issues
-- are excluded (the default), count as done or as open, and every setting
-- reads the same rows. kr_ratio is recomputed from kr_issues on first use.
ALTER TABLE kr_issues ADD COLUMN canceled INTEGER NOT NULL DEFAULT 0; -- canceled, not deleted
UPDATE kr_issues SET
    canceled = COALESCE((SELECT CASE WHEN i.canceled = 1 AND i.deleted = 0 THEN 1 ELSE 0 END FROM issue_state i WHERE i.unit = kr_issues.unit), 0);
ALTER TABLE kr_ratio ADD COLUMN canceled INTEGER NOT NULL DEFAULT 0;
DELETE FROM kr_ratio;

-- +goose Down
ALTER TABLE kr_ratio DROP COLUMN canceled;
ALTER TABLE kr_issues DROP COLUMN canceled;
