-- +goose Up
-- What alumni keep up to date themselves in the portal, and the markers of
-- a record that was confirmed or erased.
ALTER TABLE persons
    ADD COLUMN interests            text NOT NULL DEFAULT '' CHECK (length(interests) <= 1000),
    ADD COLUMN open_to_return       boolean NOT NULL DEFAULT false,
    ADD COLUMN details_confirmed_at timestamptz,
    -- When we last asked "are your details still right?".
    ADD COLUMN details_reminded_at  timestamptz,
    ADD COLUMN erased_at            timestamptz;

-- One-time links for people (not staff): confirming a registration, logging
-- in to the portal, confirming a new e-mail address, accepting an
-- invitation, saying "my details are still right" from the yearly mail. Only a hash of the token is stored. A registration has no
-- person yet: what was filled in waits in payload until it is confirmed.
CREATE TABLE person_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id  bigint REFERENCES persons (id) ON DELETE CASCADE,
    email      text NOT NULL,
    purpose    text NOT NULL CHECK (purpose IN ('register', 'login', 'email_change', 'invite', 'confirm_details')),
    token_hash bytea NOT NULL UNIQUE,
    payload    jsonb NOT NULL DEFAULT '{}',
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (purpose = 'register' OR person_id IS NOT NULL)
);
CREATE INDEX person_tokens_person_idx ON person_tokens (person_id, purpose) WHERE person_id IS NOT NULL;
CREATE INDEX person_tokens_expiry_idx ON person_tokens (expires_at);

-- Recent attempts per bucket and key (an IP address, an e-mail address),
-- for rate limits on public forms that every app process shares.
CREATE TABLE rate_events (
    bucket text NOT NULL,
    key    text NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_events_idx ON rate_events (bucket, key, at);

-- The tombstone of an erased person: when, on whose request, and which
-- categories of data were erased. It names nobody.
CREATE TABLE erasures (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id     bigint NOT NULL REFERENCES persons (id),
    erased_at     timestamptz NOT NULL DEFAULT now(),
    requested_by  text NOT NULL CHECK (requested_by IN ('person', 'staff', 'retention')),
    staff_user_id bigint REFERENCES users (id),
    categories    text[] NOT NULL,
    reason        text NOT NULL DEFAULT ''
);

-- Keys the app generates once and every process shares (e.g. to sign
-- unsubscribe links).
CREATE TABLE app_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL CHECK (length(value) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The retention policy (one row): anonymise people with no permission, no
-- legitimate interest and no activity for this many years. Off until an
-- administrator has looked at the dry run and switched it on.
CREATE TABLE retention_policy (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    enabled        boolean NOT NULL DEFAULT false,
    inactive_years integer NOT NULL DEFAULT 7 CHECK (inactive_years BETWEEN 1 AND 50),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     bigint REFERENCES users (id)
);
INSERT INTO retention_policy DEFAULT VALUES;

-- +goose Down
DROP TABLE retention_policy, app_secrets, erasures, rate_events, person_tokens;
ALTER TABLE persons DROP COLUMN interests, DROP COLUMN open_to_return, DROP COLUMN details_confirmed_at,
    DROP COLUMN details_reminded_at, DROP COLUMN erased_at;
