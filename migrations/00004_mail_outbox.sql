-- +goose Up
-- The dev outbox: without SMTP_URL every outgoing mail is stored here, and
-- administrators read it at /app/admin/outbox.
CREATE TABLE mail_outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    to_address text NOT NULL CHECK (to_address LIKE '%_@_%' AND length(to_address) <= 254),
    subject    text NOT NULL CHECK (subject !~ '[\r\n]' AND length(subject) <= 998),
    text_body  text NOT NULL,
    html_body  text NOT NULL DEFAULT '',
    headers    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(headers) = 'object')
);

-- +goose Down
DROP TABLE mail_outbox;
