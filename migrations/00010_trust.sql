-- +goose Up
-- Sessions keep only a hash of their token (a copy of the table logs nobody
-- in), and say whose they are and whom their pending messages name, so that
-- a password change ends a user's other sessions and an erasure ends the
-- person's sessions and scrubs their name. Existing sessions end: everyone
-- logs in again once.
DROP TABLE sessions;
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    data       bytea NOT NULL,
    expiry     timestamptz NOT NULL,
    user_id    bigint,
    person_id  bigint,
    mentions   bigint[] NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX sessions_person_idx ON sessions (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX sessions_mentions_idx ON sessions USING gin (mentions) WHERE mentions <> '{}';

-- An address the person proved (verified_at: they clicked a link sent to
-- it) logs in to the portal until it is retired: replaced by a new address
-- the person confirmed, or a work address left behind at offboarding.
-- Retired addresses stay for recognising the person (an import, a
-- registration) but open nothing.
ALTER TABLE person_emails ADD COLUMN retired_at timestamptz;
ALTER TABLE person_emails ADD CONSTRAINT person_emails_primary_not_retired CHECK (NOT (is_primary AND retired_at IS NOT NULL));
-- A verified address that is no longer primary was replaced (an e-mail
-- change, an offboarding's personal address): it stops opening the portal.
UPDATE person_emails SET retired_at = now() WHERE NOT is_primary AND verified_at IS NOT NULL;
-- A proved address opens one person's portal: it is unique. An unproved
-- address may stand on two records (a duplicate to merge later); a
-- coordinator's form must not reveal that an address exists in another
-- unit by refusing it.
DROP INDEX person_emails_primary_email_idx;
CREATE UNIQUE INDEX person_emails_proved_idx ON person_emails (email) WHERE verified_at IS NOT NULL AND retired_at IS NULL;
CREATE INDEX person_emails_email_idx ON person_emails (email);

-- Links for "this was not me" after an address change, for alumni and staff.
ALTER TABLE person_tokens DROP CONSTRAINT person_tokens_purpose_check;
ALTER TABLE person_tokens ADD CONSTRAINT person_tokens_purpose_check
    CHECK (purpose IN ('register', 'login', 'email_change', 'invite', 'confirm_details', 'email_revert'));
ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
    CHECK (purpose IN ('set_password', 'reset_password', 'email_revert'));
ALTER TABLE user_tokens ADD COLUMN payload jsonb NOT NULL DEFAULT '{}';

-- A login attempt takes its place in the counts before the password is
-- checked; a right password gives that place back by id.
ALTER TABLE login_failures ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;

-- Ending someone's sessions bumps their session epoch; a session carries
-- the epoch it was made in and counts only while it is the current one,
-- so a request still running when the sessions ended cannot write its
-- session back to life.
ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;

-- A staff user's address is proved once a link sent there was used (an
-- invitation, a reset); only a proved address gets a link to undo a change
-- of it, so a typo's owner cannot take the account back to themselves.
ALTER TABLE users ADD COLUMN email_proved_at timestamptz;
UPDATE users SET email_proved_at = now() WHERE password_hash IS NOT NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN email_proved_at;
ALTER TABLE users DROP COLUMN session_epoch;
ALTER TABLE persons DROP COLUMN session_epoch;
ALTER TABLE login_failures DROP COLUMN id;
ALTER TABLE user_tokens DROP COLUMN payload;
DELETE FROM user_tokens WHERE purpose <> 'set_password';
ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check CHECK (purpose IN ('set_password'));
DELETE FROM person_tokens WHERE purpose = 'email_revert';
ALTER TABLE person_tokens DROP CONSTRAINT person_tokens_purpose_check;
ALTER TABLE person_tokens ADD CONSTRAINT person_tokens_purpose_check
    CHECK (purpose IN ('register', 'login', 'email_change', 'invite', 'confirm_details'));
DROP INDEX person_emails_email_idx;
DROP INDEX person_emails_proved_idx;
CREATE UNIQUE INDEX person_emails_primary_email_idx ON person_emails (email) WHERE is_primary;
ALTER TABLE person_emails DROP CONSTRAINT person_emails_primary_not_retired;
ALTER TABLE person_emails DROP COLUMN retired_at;
DROP TABLE sessions;
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);
