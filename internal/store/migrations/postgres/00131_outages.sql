-- +goose Up
-- PostgreSQL twin of ../00131_outages.sql (ADR 30).
ALTER TABLE source_health ADD COLUMN failing_since BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE source_health DROP COLUMN failing_since;
