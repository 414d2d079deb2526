-- +goose Up
-- Stored key-result state and queued key-result writes carry a version
-- ("v") from now on, checked when read. What was written before is
-- version 1 of each: the state is the result JSON it always was, and a
-- queued write is read as an update, which takes the fields it needs from
-- that same JSON.
UPDATE kr_state SET result = json_set(result, '$.v', 1) WHERE json_valid(result);
UPDATE outbox SET payload = json_set(payload, '$.v', 1)
    WHERE service IN ('notion', 'linear', 'asana') AND json_valid(payload);

-- +goose Down
UPDATE kr_state SET result = json_remove(result, '$.v') WHERE json_valid(result);
UPDATE outbox SET payload = json_remove(payload, '$.v') WHERE json_valid(payload);
