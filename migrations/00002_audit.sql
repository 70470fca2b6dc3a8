-- +goose Up
-- Who read or changed what, when. Staff views of a person's record and every
-- change land here; the person's timeline is read from it too.
CREATE TABLE audit_log (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor_id  bigint REFERENCES users (id),
    action    text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    person_id bigint,
    entity    text NOT NULL DEFAULT '',
    entity_id bigint,
    details   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_person_idx ON audit_log (person_id, at DESC) WHERE person_id IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);

-- +goose Down
DROP TABLE audit_log;
