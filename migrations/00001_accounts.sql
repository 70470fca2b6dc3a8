-- +goose Up
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE (it reads a dictionary); this wrapper pins the
-- dictionary so it can be used in generated columns and indexes.
-- +goose StatementBegin
CREATE FUNCTION f_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
-- +goose StatementEnd

-- Sessions of scs/pgxstore.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Units form a tree (location > programme, department > team). path holds
-- the ids from the root down to and including the unit itself, so "this unit
-- and everything below it" is path && ARRAY[id].
CREATE TABLE units (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id   bigint REFERENCES units (id),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('organisation', 'location', 'department', 'team', 'programme', 'other')),
    path        bigint[] NOT NULL,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE UNIQUE INDEX units_sibling_name_idx ON units (coalesce(parent_id, 0), lower(name)) WHERE archived_at IS NULL;
CREATE INDEX units_path_idx ON units USING gin (path);

CREATE TABLE users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    name           text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    role           text NOT NULL CHECK (role IN ('admin', 'staff', 'coordinator')),
    password_hash  text,
    language       text NOT NULL DEFAULT 'nl' CHECK (language IN ('nl', 'en')),
    deactivated_at timestamptz,
    last_login_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON users (email);

CREATE TABLE user_units (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    unit_id bigint NOT NULL REFERENCES units (id),
    PRIMARY KEY (user_id, unit_id)
);

-- One-time links to set a password (invitation, reset). Only a hash of the
-- token is stored.
CREATE TABLE user_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    purpose    text NOT NULL CHECK (purpose IN ('set_password')),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Failed logins, for throttling per account and per client address. Kept
-- in the database so that every app process sees the same counts.
CREATE TABLE login_failures (
    key text NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_at_idx ON login_failures (key, at);

-- +goose Down
DROP TABLE login_failures, user_tokens, user_units, users, units, sessions;
DROP FUNCTION f_unaccent(text);
