-- +goose Up
-- Every outgoing mail is a delivery: enqueued by internal/jobs (SendMail) in
-- the same transaction as its cause, sent by a River job. The rendered
-- message is kept until it is sent, so the worker can send it (and again
-- after a failure); once sent, bodies and headers are blanked, because the
-- links in them work like passwords. Erasure of a person blanks the
-- remaining columns and keeps the row.
CREATE TABLE mail_deliveries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The caller's idempotency key ("invite:user:12:…"): one delivery per key.
    key         text NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
    person_id   bigint REFERENCES persons (id) ON DELETE SET NULL,
    -- Local part of the Message-ID header, the same on every attempt, so a
    -- copy sent twice (a crash after the server accepted it) is recognisable.
    message_id  text NOT NULL UNIQUE CHECK (message_id ~ '^[a-z0-9.]{16,80}$'),
    -- '' after erasure.
    to_address  text NOT NULL CHECK (to_address = '' OR (to_address LIKE '%_@_%' AND length(to_address) <= 254)),
    subject     text NOT NULL CHECK (subject !~ '[\r\n]' AND length(subject) <= 998),
    text_body   text NOT NULL,
    html_body   text NOT NULL DEFAULT '',
    headers     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(headers) = 'object'),
    language    text NOT NULL CHECK (language IN ('nl', 'en')),
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error  text NOT NULL DEFAULT '',
    -- The River job that sends it (river_job rows are removed some days
    -- after they finish, so this is no foreign key).
    job_id      bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX mail_deliveries_person_idx ON mail_deliveries (person_id) WHERE person_id IS NOT NULL;
-- Deliveries still in the works: the admin list's filter and the test
-- helper that waits for the queue to drain.
CREATE INDEX mail_deliveries_unsent_idx ON mail_deliveries (status, id) WHERE status <> 'sent';

-- The delivery log: one row per event of a delivery, append-only.
CREATE TABLE mail_delivery_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES mail_deliveries (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    status      text NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempt     integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    detail      text NOT NULL DEFAULT '' CHECK (length(detail) <= 2000)
);
CREATE INDEX mail_delivery_log_delivery_idx ON mail_delivery_log (delivery_id, id);

-- +goose Down
DROP TABLE mail_delivery_log;
DROP TABLE mail_deliveries;
