-- +goose Up
-- Match rows without copies of their event (issue 13): a match keeps what
-- its key result's state needs (unit, time, value, rule version); source,
-- kind, title, URL and actor are read from the event when evidence is
-- shown (a few rows per evaluation, by the events' id index). The events
-- table keeps title and URL in columns (no longer in the JSON body), and
-- kr_sources says which sources each key result's matches came from (what
-- the (kr_key, source) index answered), one row per pair.
--
-- Fewer B-trees per row as well: a match's key is (kr_key, occurred_at,
-- event_id), the order windows read it in (an event's time never changes,
-- so the key is as unique as (kr_key, event_id) and the separate time index
-- goes); kr_points is stored by its key (no rowid table beside it); links
-- are found by the unit linked through one index (b), which holds kr_key
-- too; the events' time index no longer repeats the id.
ALTER TABLE events ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN url TEXT NOT NULL DEFAULT '';
UPDATE events SET title = COALESCE(json_extract(body, '$.title'), ''), url = COALESCE(json_extract(body, '$.url'), ''),
    body = json_remove(body, '$.title', '$.url')
    WHERE json_extract(body, '$.title') IS NOT NULL OR json_extract(body, '$.url') IS NOT NULL;

CREATE TABLE kr_sources (
    kr_key TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (kr_key, source)
) WITHOUT ROWID;
INSERT INTO kr_sources (kr_key, source) SELECT DISTINCT kr_key, source FROM kr_matches;

CREATE TABLE kr_matches_narrow (
    kr_key       TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    unit         TEXT NOT NULL,    -- the event's unit, or its id when it has none
    occurred_at  INTEGER NOT NULL, -- unix ms
    value        REAL,             -- the rule's numeric field, NULL when none
    rule_version TEXT NOT NULL,
    PRIMARY KEY (kr_key, occurred_at, event_id)
) WITHOUT ROWID;
INSERT INTO kr_matches_narrow (kr_key, event_id, unit, occurred_at, value, rule_version)
    SELECT kr_key, event_id, unit, occurred_at, value, rule_version FROM kr_matches;
DROP TABLE kr_matches;
ALTER TABLE kr_matches_narrow RENAME TO kr_matches;

CREATE TABLE kr_points_keyed (
    kr_key   TEXT NOT NULL,
    grp      TEXT NOT NULL,
    at       BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    value    DOUBLE PRECISION,
    PRIMARY KEY (kr_key, grp)
) WITHOUT ROWID;
INSERT INTO kr_points_keyed (kr_key, grp, at, event_id, value) SELECT kr_key, grp, at, event_id, value FROM kr_points;
DROP TABLE kr_points;
ALTER TABLE kr_points_keyed RENAME TO kr_points;
CREATE INDEX kr_points_at ON kr_points (kr_key, at, event_id);
CREATE INDEX kr_points_value ON kr_points (kr_key, value) WHERE value IS NOT NULL;

DROP INDEX kr_links_b;
DROP INDEX events_occurred;
CREATE INDEX events_occurred ON events (occurred_at);

-- +goose Down
DROP INDEX events_occurred;
CREATE INDEX events_occurred ON events (occurred_at, id);
CREATE INDEX kr_links_b ON kr_links (kr_key, b);
CREATE TABLE kr_points_rowid (
    kr_key   TEXT NOT NULL,
    grp      TEXT NOT NULL,
    at       BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    value    DOUBLE PRECISION,
    PRIMARY KEY (kr_key, grp)
);
INSERT INTO kr_points_rowid SELECT kr_key, grp, at, event_id, value FROM kr_points;
DROP TABLE kr_points;
ALTER TABLE kr_points_rowid RENAME TO kr_points;
CREATE INDEX kr_points_at ON kr_points (kr_key, at, event_id);
CREATE INDEX kr_points_value ON kr_points (kr_key, value) WHERE value IS NOT NULL;

CREATE TABLE kr_matches_wide (
    kr_key       TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    unit         TEXT NOT NULL,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    value        REAL,
    title        TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT '',
    rule_version TEXT NOT NULL,
    PRIMARY KEY (kr_key, event_id)
) WITHOUT ROWID;
INSERT INTO kr_matches_wide (kr_key, event_id, unit, source, kind, occurred_at, value, title, url, actor, rule_version)
    SELECT m.kr_key, m.event_id, m.unit, e.source, e.kind, m.occurred_at, m.value, e.title, e.url, e.actor_handle, m.rule_version
    FROM kr_matches m JOIN events e ON e.id = m.event_id;
DROP TABLE kr_matches;
ALTER TABLE kr_matches_wide RENAME TO kr_matches;
CREATE INDEX kr_matches_time ON kr_matches (kr_key, occurred_at);
CREATE INDEX kr_matches_source ON kr_matches (kr_key, source);
DROP TABLE kr_sources;
UPDATE events SET body = json_set(body, '$.title', title) WHERE title != '';
UPDATE events SET body = json_set(body, '$.url', url) WHERE url != '';
ALTER TABLE events DROP COLUMN url;
ALTER TABLE events DROP COLUMN title;
