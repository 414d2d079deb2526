-- +goose Up
-- The owners' notes on a key result (plan, help needed), per week: set with
-- `goalpost note` or read back from the block under the check-in callout
-- of the key result's Notion page. Every note is kept; the latest of a
-- week is the week's note (ADR 47).
CREATE TABLE kr_notes (
    kr_key TEXT NOT NULL,
    week   TEXT NOT NULL,    -- ISO week, e.g. 2026-W47
    set_at INTEGER NOT NULL, -- unix ms
    body   TEXT NOT NULL,    -- "" clears the week's note
    source TEXT NOT NULL,    -- "cli" or "notion"
    set_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kr_key, week, set_at)
);

-- +goose Down
DROP TABLE kr_notes;
