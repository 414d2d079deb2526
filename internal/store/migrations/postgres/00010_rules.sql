-- +goose Up
-- PostgreSQL twin of ../00010_rules.sql (no WITHOUT ROWID: every table is a heap).
CREATE TABLE kr_matches (
    kr_key       TEXT COLLATE "C" NOT NULL,
    event_id     TEXT COLLATE "C" NOT NULL,
    unit         TEXT COLLATE "C" NOT NULL,
    source       TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL,
    occurred_at  BIGINT NOT NULL,
    value        DOUBLE PRECISION,
    title        TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    actor        TEXT COLLATE "C" NOT NULL DEFAULT '',
    rule_version TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kr_key, event_id)
);
CREATE INDEX kr_matches_time ON kr_matches (kr_key, occurred_at);
CREATE INDEX kr_matches_source ON kr_matches (kr_key, source);

CREATE TABLE kr_nodes (
    kr_key TEXT COLLATE "C" NOT NULL,
    node   TEXT COLLATE "C" NOT NULL,
    grp    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kr_key, node)
);
CREATE INDEX kr_nodes_grp ON kr_nodes (kr_key, grp);
CREATE INDEX kr_nodes_node ON kr_nodes (node);

CREATE TABLE kr_links (
    kr_key TEXT COLLATE "C" NOT NULL,
    a      TEXT COLLATE "C" NOT NULL,
    b      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kr_key, a, b)
);
CREATE INDEX kr_links_b ON kr_links (kr_key, b);
CREATE INDEX kr_links_unit ON kr_links (b);

CREATE TABLE issue_state (
    unit            TEXT COLLATE "C" PRIMARY KEY,
    source          TEXT COLLATE "C" NOT NULL,
    event_id        TEXT COLLATE "C" NOT NULL,
    kind            TEXT COLLATE "C" NOT NULL,
    occurred_at     BIGINT NOT NULL,
    status_category TEXT COLLATE "C" NOT NULL DEFAULT '',
    canceled        INTEGER NOT NULL DEFAULT 0,
    blocked         INTEGER NOT NULL DEFAULT 0,
    done_at         BIGINT NOT NULL DEFAULT 0,
    title           TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    actor           TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE INDEX issue_state_open_blocked ON issue_state (unit)
    WHERE blocked = 1 AND status_category != 'done' AND canceled = 0;

CREATE TABLE kr_issues (
    kr_key TEXT COLLATE "C" NOT NULL,
    unit   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kr_key, unit)
);
CREATE INDEX kr_issues_unit ON kr_issues (unit);

CREATE TABLE kr_state (
    kr_key      TEXT COLLATE "C" PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    result      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE kr_snapshots (
    kr_key         TEXT COLLATE "C" NOT NULL,
    at             BIGINT NOT NULL,
    current        DOUBLE PRECISION NOT NULL,
    progress       DOUBLE PRECISION NOT NULL,
    score          DOUBLE PRECISION NOT NULL,
    status         TEXT COLLATE "C" NOT NULL,
    no_data        INTEGER NOT NULL DEFAULT 0,
    evidence_total INTEGER NOT NULL DEFAULT 0,
    rule_version   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kr_key, at)
);

CREATE TABLE manual_values (
    kr_key TEXT COLLATE "C" NOT NULL,
    set_at BIGINT NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    set_by TEXT NOT NULL DEFAULT '',
    note   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kr_key, set_at)
);

-- +goose Down
DROP TABLE manual_values;
DROP TABLE kr_snapshots;
DROP TABLE kr_state;
DROP TABLE kr_issues;
DROP TABLE issue_state;
DROP TABLE kr_links;
DROP TABLE kr_nodes;
DROP TABLE kr_matches;
