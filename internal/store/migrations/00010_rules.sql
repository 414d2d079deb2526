-- +goose Up
-- Events matched by each key result's rule (one row per key result and event).
CREATE TABLE kr_matches (
    kr_key       TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    unit         TEXT NOT NULL,    -- the event's unit, or its id when it has none
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL, -- unix ms
    value        REAL,             -- the rule's numeric field, NULL when none
    title        TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT '',
    rule_version TEXT NOT NULL,
    PRIMARY KEY (kr_key, event_id)
) WITHOUT ROWID;
CREATE INDEX kr_matches_time ON kr_matches (kr_key, occurred_at);
CREATE INDEX kr_matches_source ON kr_matches (kr_key, source);

-- Units of work per key result: matched units tied together (a PR, its
-- shipped change and the matched issues it links) share a group, so the
-- group counts once.
CREATE TABLE kr_nodes (
    kr_key TEXT NOT NULL,
    node   TEXT NOT NULL,
    grp    TEXT NOT NULL,
    PRIMARY KEY (kr_key, node)
) WITHOUT ROWID;
CREATE INDEX kr_nodes_grp ON kr_nodes (kr_key, grp);
CREATE INDEX kr_nodes_node ON kr_nodes (node);

-- Links from matched units to other units (a PR to the issue keys it names).
-- Two units are tied when both are matched and one links the other.
CREATE TABLE kr_links (
    kr_key TEXT NOT NULL,
    a      TEXT NOT NULL, -- the matched unit
    b      TEXT NOT NULL, -- the unit it links
    PRIMARY KEY (kr_key, a, b)
) WITHOUT ROWID;
CREATE INDEX kr_links_b ON kr_links (kr_key, b);
CREATE INDEX kr_links_unit ON kr_links (b);

-- The latest known state of each issue (Jira, Linear), for ratio key results
-- and blocked items.
CREATE TABLE issue_state (
    unit            TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    occurred_at     INTEGER NOT NULL,
    status_category TEXT NOT NULL DEFAULT '',
    canceled        INTEGER NOT NULL DEFAULT 0,
    blocked         INTEGER NOT NULL DEFAULT 0,
    done_at         INTEGER NOT NULL DEFAULT 0,
    title           TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    actor           TEXT NOT NULL DEFAULT ''
);

CREATE INDEX issue_state_open_blocked ON issue_state (unit)
    WHERE blocked = 1 AND status_category != 'done' AND canceled = 0;

-- Issues in each ratio key result's scope.
CREATE TABLE kr_issues (
    kr_key TEXT NOT NULL,
    unit   TEXT NOT NULL,
    PRIMARY KEY (kr_key, unit)
) WITHOUT ROWID;
CREATE INDEX kr_issues_unit ON kr_issues (unit);

-- The last result of each key result (rules.Result as JSON) and its
-- fingerprint (the JSON without time-only fields), to tell real changes.
CREATE TABLE kr_state (
    kr_key      TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    result      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Each key result over time: one row per meaningful change.
CREATE TABLE kr_snapshots (
    kr_key         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    current        REAL NOT NULL,
    progress       REAL NOT NULL,
    score          REAL NOT NULL,
    status         TEXT NOT NULL,
    no_data        INTEGER NOT NULL DEFAULT 0,
    evidence_total INTEGER NOT NULL DEFAULT 0,
    rule_version   TEXT NOT NULL,
    PRIMARY KEY (kr_key, at)
) WITHOUT ROWID;

-- Values of manual key results, as set by people (history kept).
CREATE TABLE manual_values (
    kr_key TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    value  REAL NOT NULL,
    set_by TEXT NOT NULL DEFAULT '',
    note   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kr_key, set_at)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE manual_values;
DROP TABLE kr_snapshots;
DROP TABLE kr_state;
DROP TABLE kr_issues;
DROP TABLE issue_state;
DROP TABLE kr_links;
DROP TABLE kr_nodes;
DROP TABLE kr_matches;
