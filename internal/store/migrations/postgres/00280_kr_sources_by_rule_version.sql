-- +goose Up
-- PostgreSQL twin of ../00280_kr_sources_by_rule_version.sql: kr_sources
-- also keeps the rule versions that recorded a key result's matches.
DELETE FROM kr_sources;
ALTER TABLE kr_sources ADD COLUMN rule_version TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE kr_sources DROP CONSTRAINT kr_sources_pkey;
ALTER TABLE kr_sources ADD PRIMARY KEY (kr_key, source, rule_version);
ALTER TABLE kr_sources ALTER COLUMN rule_version DROP DEFAULT;
INSERT INTO kr_sources (kr_key, source, rule_version)
    SELECT DISTINCT m.kr_key, e.source, m.rule_version FROM kr_matches m JOIN events e ON e.id = m.event_id;

-- +goose Down
DELETE FROM kr_sources WHERE (kr_key, source, rule_version) NOT IN
    (SELECT kr_key, source, MIN(rule_version) FROM kr_sources GROUP BY kr_key, source);
ALTER TABLE kr_sources DROP CONSTRAINT kr_sources_pkey;
ALTER TABLE kr_sources DROP COLUMN rule_version;
ALTER TABLE kr_sources ADD PRIMARY KEY (kr_key, source);
