-- +goose Up
-- The stored events of one unit (an issue's history), for a closed week's
-- blocked items as of its end (ADR 43).
CREATE INDEX events_unit ON events (unit, occurred_at);

-- +goose Down
DROP INDEX events_unit;
