-- +goose Up
-- PostgreSQL twin of ../00180_matches_normalized.sql: match rows without
-- copies of their event, title and URL as event columns, kr_sources, a
-- match keyed by (kr_key, occurred_at, event_id), fewer indexes. PostgreSQL
-- tables are heaps either way: kr_points stays as it is.
ALTER TABLE events ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN url TEXT NOT NULL DEFAULT '';
UPDATE events SET title = COALESCE(body::jsonb ->> 'title', ''), url = COALESCE(body::jsonb ->> 'url', ''),
    body = (body::jsonb - 'title' - 'url')::text
    WHERE body::jsonb ->> 'title' IS NOT NULL OR body::jsonb ->> 'url' IS NOT NULL;

CREATE TABLE kr_sources (
    kr_key TEXT COLLATE "C" NOT NULL,
    source TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kr_key, source)
);
INSERT INTO kr_sources (kr_key, source) SELECT DISTINCT kr_key, source FROM kr_matches;

ALTER TABLE kr_matches DROP CONSTRAINT kr_matches_pkey;
ALTER TABLE kr_matches ADD PRIMARY KEY (kr_key, occurred_at, event_id);
DROP INDEX kr_matches_time;
DROP INDEX kr_matches_source;
ALTER TABLE kr_matches DROP COLUMN source, DROP COLUMN kind, DROP COLUMN title, DROP COLUMN url, DROP COLUMN actor;

DROP INDEX kr_links_b;
DROP INDEX events_occurred;
CREATE INDEX events_occurred ON events (occurred_at);

-- +goose Down
DROP INDEX events_occurred;
CREATE INDEX events_occurred ON events (occurred_at, id);
CREATE INDEX kr_links_b ON kr_links (kr_key, b);
ALTER TABLE kr_matches ADD COLUMN source TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE kr_matches ADD COLUMN kind TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE kr_matches ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE kr_matches ADD COLUMN url TEXT NOT NULL DEFAULT '';
ALTER TABLE kr_matches ADD COLUMN actor TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE kr_matches m SET source = e.source, kind = e.kind, title = e.title, url = e.url, actor = e.actor_handle
    FROM events e WHERE e.id = m.event_id;
ALTER TABLE kr_matches DROP CONSTRAINT kr_matches_pkey;
ALTER TABLE kr_matches ADD PRIMARY KEY (kr_key, event_id);
CREATE INDEX kr_matches_time ON kr_matches (kr_key, occurred_at);
CREATE INDEX kr_matches_source ON kr_matches (kr_key, source);
DROP TABLE kr_sources;
UPDATE events SET body = jsonb_set(body::jsonb, '{title}', to_jsonb(title))::text WHERE title != '';
UPDATE events SET body = jsonb_set(body::jsonb, '{url}', to_jsonb(url))::text WHERE url != '';
ALTER TABLE events DROP COLUMN url;
ALTER TABLE events DROP COLUMN title;
