-- +goose Up
-- Event bodies under one-letter names (issue 13, ADR 62): actor a, links k,
-- labels l, environment e, shas s, numbers n, attrs t, shipped p, and
-- occurred_at o (in the body only when it has more than milliseconds).
-- Bodies stored before migration 00071 also repeated the fields now in
-- columns (id, source, kind, actor_handle, repo, unit, title, url); the
-- columns were read over them, and they go.
UPDATE events SET body = json_remove(body, '$.id', '$.source', '$.kind', '$.actor_handle', '$.repo', '$.unit', '$.title', '$.url')
    WHERE body -> '$.id' IS NOT NULL OR body -> '$.source' IS NOT NULL
       OR body -> '$.kind' IS NOT NULL OR body -> '$.actor_handle' IS NOT NULL
       OR body -> '$.repo' IS NOT NULL OR body -> '$.unit' IS NOT NULL
       OR body -> '$.title' IS NOT NULL OR body -> '$.url' IS NOT NULL;
UPDATE events SET body = json_remove(body, '$.occurred_at') WHERE body ->> '$.occurred_at' NOT LIKE '%.%'; -- whole seconds
UPDATE events SET body = json_remove(json_set(body, '$.a', json(body -> '$.actor')), '$.actor') WHERE body -> '$.actor' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.k', json(body -> '$.links')), '$.links') WHERE body -> '$.links' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.l', json(body -> '$.labels')), '$.labels') WHERE body -> '$.labels' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.e', json(body -> '$.environment')), '$.environment') WHERE body -> '$.environment' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.s', json(body -> '$.shas')), '$.shas') WHERE body -> '$.shas' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.n', json(body -> '$.numbers')), '$.numbers') WHERE body -> '$.numbers' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.t', json(body -> '$.attrs')), '$.attrs') WHERE body -> '$.attrs' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.p', json(body -> '$.shipped')), '$.shipped') WHERE body -> '$.shipped' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.o', json(body -> '$.occurred_at')), '$.occurred_at') WHERE body -> '$.occurred_at' IS NOT NULL;

-- +goose Down
UPDATE events SET body = json_remove(json_set(body, '$.actor', json(body -> '$.a')), '$.a') WHERE body -> '$.a' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.links', json(body -> '$.k')), '$.k') WHERE body -> '$.k' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.labels', json(body -> '$.l')), '$.l') WHERE body -> '$.l' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.environment', json(body -> '$.e')), '$.e') WHERE body -> '$.e' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.shas', json(body -> '$.s')), '$.s') WHERE body -> '$.s' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.numbers', json(body -> '$.n')), '$.n') WHERE body -> '$.n' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.attrs', json(body -> '$.t')), '$.t') WHERE body -> '$.t' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.shipped', json(body -> '$.p')), '$.p') WHERE body -> '$.p' IS NOT NULL;
UPDATE events SET body = json_remove(json_set(body, '$.occurred_at', json(body -> '$.o')), '$.o') WHERE body -> '$.o' IS NOT NULL;
