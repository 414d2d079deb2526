-- +goose Up
-- PostgreSQL twin of ../00252_event_body_names.sql: event bodies under
-- one-letter names, without the fields the columns hold.
UPDATE events SET body = (body::jsonb - 'id' - 'source' - 'kind' - 'actor_handle' - 'repo' - 'unit' - 'title' - 'url')::text
    WHERE body::jsonb -> 'id' IS NOT NULL OR body::jsonb -> 'source' IS NOT NULL
       OR body::jsonb -> 'kind' IS NOT NULL OR body::jsonb -> 'actor_handle' IS NOT NULL
       OR body::jsonb -> 'repo' IS NOT NULL OR body::jsonb -> 'unit' IS NOT NULL
       OR body::jsonb -> 'title' IS NOT NULL OR body::jsonb -> 'url' IS NOT NULL;
UPDATE events SET body = (body::jsonb - 'occurred_at')::text WHERE body::jsonb ->> 'occurred_at' NOT LIKE '%.%'; -- whole seconds
UPDATE events SET body = ((body::jsonb - 'actor') || jsonb_build_object('a', body::jsonb -> 'actor'))::text WHERE body::jsonb -> 'actor' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'links') || jsonb_build_object('k', body::jsonb -> 'links'))::text WHERE body::jsonb -> 'links' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'labels') || jsonb_build_object('l', body::jsonb -> 'labels'))::text WHERE body::jsonb -> 'labels' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'environment') || jsonb_build_object('e', body::jsonb -> 'environment'))::text WHERE body::jsonb -> 'environment' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'shas') || jsonb_build_object('s', body::jsonb -> 'shas'))::text WHERE body::jsonb -> 'shas' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'numbers') || jsonb_build_object('n', body::jsonb -> 'numbers'))::text WHERE body::jsonb -> 'numbers' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'attrs') || jsonb_build_object('t', body::jsonb -> 'attrs'))::text WHERE body::jsonb -> 'attrs' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'shipped') || jsonb_build_object('p', body::jsonb -> 'shipped'))::text WHERE body::jsonb -> 'shipped' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'occurred_at') || jsonb_build_object('o', body::jsonb -> 'occurred_at'))::text WHERE body::jsonb -> 'occurred_at' IS NOT NULL;

-- +goose Down
UPDATE events SET body = ((body::jsonb - 'a') || jsonb_build_object('actor', body::jsonb -> 'a'))::text WHERE body::jsonb -> 'a' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'k') || jsonb_build_object('links', body::jsonb -> 'k'))::text WHERE body::jsonb -> 'k' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'l') || jsonb_build_object('labels', body::jsonb -> 'l'))::text WHERE body::jsonb -> 'l' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'e') || jsonb_build_object('environment', body::jsonb -> 'e'))::text WHERE body::jsonb -> 'e' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 's') || jsonb_build_object('shas', body::jsonb -> 's'))::text WHERE body::jsonb -> 's' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'n') || jsonb_build_object('numbers', body::jsonb -> 'n'))::text WHERE body::jsonb -> 'n' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 't') || jsonb_build_object('attrs', body::jsonb -> 't'))::text WHERE body::jsonb -> 't' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'p') || jsonb_build_object('shipped', body::jsonb -> 'p'))::text WHERE body::jsonb -> 'p' IS NOT NULL;
UPDATE events SET body = ((body::jsonb - 'o') || jsonb_build_object('occurred_at', body::jsonb -> 'o'))::text WHERE body::jsonb -> 'o' IS NOT NULL;
