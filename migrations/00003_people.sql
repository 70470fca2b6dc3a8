-- +goose Up
CREATE TABLE persons (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_name   text NOT NULL CHECK (length(btrim(first_name)) BETWEEN 1 AND 100),
    last_name    text NOT NULL CHECK (length(btrim(last_name)) BETWEEN 1 AND 100),
    phone        text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    city         text NOT NULL DEFAULT '' CHECK (length(city) <= 100),
    employer     text NOT NULL DEFAULT '' CHECK (length(employer) <= 200),
    job_title    text NOT NULL DEFAULT '' CHECK (length(job_title) <= 200),
    sector       text NOT NULL DEFAULT '' CHECK (length(sector) <= 100),
    linkedin_url text NOT NULL DEFAULT '' CHECK (linkedin_url = '' OR linkedin_url ~ '^https://'),
    language     text NOT NULL DEFAULT 'nl' CHECK (language IN ('nl', 'en')),
    offers       text[] NOT NULL DEFAULT '{}' CHECK (offers <@ ARRAY['guest_lecture', 'mentoring', 'internship', 'advisory', 'vacancies']),
    needs        text[] NOT NULL DEFAULT '{}' CHECK (needs <@ ARRAY['jobs', 'courses', 'coaching', 'network']),
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- Lower-cased, accent-free name for search ("Jose" finds "José") and sorting.
    search_name  text GENERATED ALWAYS AS (f_unaccent(lower(first_name || ' ' || last_name))) STORED,
    sort_name    text GENERATED ALWAYS AS (f_unaccent(lower(last_name || ' ' || first_name))) STORED
);
CREATE INDEX persons_search_name_trgm_idx ON persons USING gin (search_name gin_trgm_ops);
CREATE INDEX persons_sort_name_idx ON persons (sort_name, id);
CREATE INDEX persons_updated_idx ON persons (updated_at, id);
CREATE INDEX persons_created_idx ON persons (created_at, id);

CREATE TABLE person_emails (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   bigint NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    is_primary  boolean NOT NULL DEFAULT false,
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (person_id, email)
);
-- A primary address belongs to one person only; a person has one primary.
CREATE UNIQUE INDEX person_emails_primary_email_idx ON person_emails (email) WHERE is_primary;
CREATE UNIQUE INDEX person_emails_one_primary_idx ON person_emails (person_id) WHERE is_primary;
CREATE INDEX person_emails_email_trgm_idx ON person_emails USING gin (email gin_trgm_ops);

CREATE TABLE affiliations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id      bigint NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('employment', 'study')),
    unit_id        bigint NOT NULL REFERENCES units (id),
    start_date     date,
    end_date       date,
    role           text NOT NULL DEFAULT '' CHECK (length(role) <= 200),
    crebo          text NOT NULL DEFAULT '' CHECK (crebo = '' OR crebo ~ '^[0-9]{5}$'),
    cohort_year    integer CHECK (cohort_year BETWEEN 1900 AND 2200),
    leaving_reason text CHECK (leaving_reason IN ('resignation', 'end_of_contract', 'retirement', 'reorganisation',
                                                  'dismissal', 'conflict', 'graduated', 'early_leaver', 'other')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
-- Covering: scope and filter checks per person are index-only.
CREATE INDEX affiliations_person_idx ON affiliations (person_id) INCLUDE (unit_id, kind, cohort_year, end_date, leaving_reason);
CREATE INDEX affiliations_unit_idx ON affiliations (unit_id, person_id);
CREATE INDEX affiliations_reason_idx ON affiliations (leaving_reason, person_id);
-- The list filters on "cohort year, else the year it ended"; statistics on
-- that expression let the planner estimate a year range.
CREATE STATISTICS affiliations_year_stats ON (coalesce(cohort_year, extract(year FROM end_date)::int)) FROM affiliations;

CREATE TABLE tags (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60)
);
CREATE UNIQUE INDEX tags_name_idx ON tags (lower(name));

CREATE TABLE person_tags (
    person_id bigint NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    tag_id    bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (person_id, tag_id)
);
CREATE INDEX person_tags_tag_idx ON person_tags (tag_id, person_id);

-- +goose Down
DROP TABLE person_tags, tags, affiliations, person_emails, persons;
