-- +goose Up
-- kr_sources also says which versions of its rule recorded a key result's
-- matches (issue 13): whether any match was recorded by a version other
-- than the current one (`goalpost run`'s warning that a rebuild is due)
-- is then a look-up of a few rows per key result, not a scan of all its
-- matches at every start (ADR 58). One row per (key result, source, rule
-- version), written as before once per transaction.
CREATE TABLE kr_sources_versioned (
    kr_key       TEXT NOT NULL,
    source       TEXT NOT NULL,
    rule_version TEXT NOT NULL,
    PRIMARY KEY (kr_key, source, rule_version)
) WITHOUT ROWID;
INSERT INTO kr_sources_versioned (kr_key, source, rule_version)
    SELECT DISTINCT m.kr_key, e.source, m.rule_version FROM kr_matches m JOIN events e ON e.id = m.event_id;
DROP TABLE kr_sources;
ALTER TABLE kr_sources_versioned RENAME TO kr_sources;

-- +goose Down
CREATE TABLE kr_sources_plain (
    kr_key TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (kr_key, source)
) WITHOUT ROWID;
INSERT INTO kr_sources_plain (kr_key, source) SELECT DISTINCT kr_key, source FROM kr_sources;
DROP TABLE kr_sources;
ALTER TABLE kr_sources_plain RENAME TO kr_sources;
