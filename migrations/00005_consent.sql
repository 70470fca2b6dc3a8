-- +goose Up
-- The consent ledger. Purposes are what personal data is used for (a
-- newsletter, the alumni directory, …); each has versioned texts in Dutch
-- and English; every grant or withdrawal is one row of an append-only
-- ledger that names the text version the person was shown. The current
-- state of a permission is derived from the ledger, never stored.

CREATE TABLE consent_purposes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The code refers to purposes by key (mailings for 'newsletter', the
    -- directory for 'directory'); it does not change once created.
    key          text NOT NULL UNIQUE CHECK (key ~ '^[a-z][a-z0-9_]{1,39}$'),
    lawful_basis text NOT NULL CHECK (lawful_basis IN ('consent', 'legitimate_interest')),
    active       boolean NOT NULL DEFAULT true,
    sort_order   integer NOT NULL DEFAULT 0 CHECK (sort_order BETWEEN -100000 AND 100000),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A purpose's name and text as shown to people. Editing makes a new
-- version; rows never change, so what someone agreed to stays readable.
CREATE TABLE consent_texts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose_id bigint NOT NULL REFERENCES consent_purposes (id),
    version    integer NOT NULL CHECK (version >= 1),
    name_nl    text NOT NULL CHECK (length(btrim(name_nl)) BETWEEN 1 AND 120),
    name_en    text NOT NULL CHECK (length(btrim(name_en)) BETWEEN 1 AND 120),
    text_nl    text NOT NULL CHECK (length(btrim(text_nl)) BETWEEN 1 AND 4000),
    text_en    text NOT NULL CHECK (length(btrim(text_en)) BETWEEN 1 AND 4000),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint REFERENCES users (id),
    UNIQUE (purpose_id, version),
    -- Lets the ledger check that a row's text belongs to its purpose.
    UNIQUE (id, purpose_id)
);

CREATE TABLE consent_ledger (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No ON DELETE: a person with ledger rows is anonymised, not deleted.
    person_id     bigint NOT NULL REFERENCES persons (id),
    purpose_id    bigint NOT NULL REFERENCES consent_purposes (id),
    -- The purpose's lawful basis at the time of the row.
    basis         text NOT NULL CHECK (basis IN ('consent', 'legitimate_interest')),
    granted       boolean NOT NULL,
    -- The text shown to the person; required for a grant.
    text_id       bigint,
    source        text NOT NULL CHECK (source IN ('registration', 'portal', 'invitation', 'offboarding', 'staff', 'import', 'unsubscribe')),
    actor_user_id bigint REFERENCES users (id),
    by_person     boolean NOT NULL DEFAULT false,
    at            timestamptz NOT NULL DEFAULT now(),
    note          text CHECK (length(note) <= 1000),
    FOREIGN KEY (text_id, purpose_id) REFERENCES consent_texts (id, purpose_id),
    CONSTRAINT consent_ledger_grant_has_text CHECK (NOT granted OR text_id IS NOT NULL),
    -- An import may record withdrawals, never consent: a spreadsheet
    -- column is no proof that someone agreed.
    CONSTRAINT consent_ledger_import_never_grants CHECK (NOT (source = 'import' AND granted)),
    -- Staff recording on someone's behalf say why (a paper form, a call).
    -- The store requires the note; here it may only be NULL because an
    -- erasure clears notes (see below), never blank.
    CONSTRAINT consent_ledger_staff_note CHECK (source <> 'staff' OR note IS NULL OR length(btrim(note)) > 0)
);
CREATE INDEX consent_ledger_person_idx ON consent_ledger (person_id, purpose_id, at DESC, id DESC);
-- Segments and mailings ask "who has purpose P now"; this serves the
-- per-purpose scan.
CREATE INDEX consent_ledger_purpose_idx ON consent_ledger (purpose_id, person_id, at DESC, id DESC);

-- The ledger is append-only. The one exception is erasure: inside a
-- transaction that set alumnet.erasure to 'on' (SET LOCAL), an UPDATE may
-- set note to NULL and change nothing else. The note is the only free text
-- in a row and may hold personal data; the rest is evidence that must stay.
-- +goose StatementBegin
CREATE FUNCTION consent_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('alumnet.erasure', true) = 'on'
       AND NEW.note IS NULL
       AND (to_jsonb(NEW) - 'note') = (to_jsonb(OLD) - 'note') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent_ledger is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Record a new grant or withdrawal instead of changing or removing a row.';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER consent_ledger_no_change BEFORE UPDATE OR DELETE ON consent_ledger
    FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only();
CREATE TRIGGER consent_ledger_no_truncate BEFORE TRUNCATE ON consent_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION consent_ledger_append_only();

-- Texts are evidence too: a change is a new version, never an edit.
-- +goose StatementBegin
CREATE FUNCTION consent_texts_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_texts are immutable: % is not allowed', TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Add a new version of the text instead.';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER consent_texts_no_change BEFORE UPDATE OR DELETE ON consent_texts
    FOR EACH ROW EXECUTE FUNCTION consent_texts_immutable();
CREATE TRIGGER consent_texts_no_truncate BEFORE TRUNCATE ON consent_texts
    FOR EACH STATEMENT EXECUTE FUNCTION consent_texts_immutable();

-- Default purposes, version 1 of their texts. Administrators adjust them
-- at /app/admin/purposes (which makes version 2, and so on).
WITH p AS (
    INSERT INTO consent_purposes (key, lawful_basis, sort_order) VALUES
        ('newsletter', 'consent', 10),
        ('events', 'consent', 20),
        ('vacancies', 'consent', 30),
        ('directory', 'consent', 40),
        ('contact_by_alumni', 'consent', 50),
        ('story_publication', 'consent', 60),
        ('surveys', 'consent', 70)
    RETURNING id, key
)
INSERT INTO consent_texts (purpose_id, version, name_nl, name_en, text_nl, text_en)
SELECT p.id, 1, t.name_nl, t.name_en, t.text_nl, t.text_en
FROM p JOIN (VALUES
    ('newsletter',
     'Nieuwsbrief',
     'Newsletter',
     'Ja, stuur mij de alumninieuwsbrief per e-mail: nieuws uit de organisatie, verhalen van oud-collega''s en oud-studenten en wat er in het netwerk gebeurt. Wij gebruiken daarvoor je naam, je e-mailadres en je taalvoorkeur. Je kunt je op elk moment afmelden via de link onder elke nieuwsbrief of in je alumniportaal.',
     'Yes, send me the alumni newsletter by e-mail: news from the organisation, stories of former colleagues and students, and what is happening in the network. We use your name, your e-mail address and your language preference for this. You can unsubscribe at any time through the link in every newsletter or in your alumni portal.'),
    ('events',
     'Uitnodigingen voor bijeenkomsten',
     'Invitations to events',
     'Ja, nodig mij uit voor reünies, kennissessies, webinars en gastlessen. Wij gebruiken daarvoor je naam, je e-mailadres en je band met de organisatie (zoals opleiding, afdeling of jaar), zodat je uitnodigingen krijgt die bij je passen. Je kunt dit op elk moment intrekken in je alumniportaal of via de link in de uitnodiging.',
     'Yes, invite me to reunions, knowledge sessions, webinars and guest lectures. We use your name, your e-mail address and your ties with the organisation (such as programme, department or year) so that you receive invitations that suit you. You can withdraw this at any time in your alumni portal or through the link in the invitation.'),
    ('vacancies',
     'Vacatures en stageplaatsen',
     'Vacancies and internships',
     'Ja, stuur mij vacatures, stageplaatsen en andere kansen die passen bij mijn profiel. Wij gebruiken daarvoor je e-mailadres en de profielgegevens die je ons gaf (zoals sector, functie en woonplaats). Je kunt dit op elk moment intrekken in je alumniportaal of via de link in het bericht.',
     'Yes, send me vacancies, internship places and other opportunities that match my profile. We use your e-mail address and the profile details you gave us (such as sector, job title and city) for this. You can withdraw this at any time in your alumni portal or through the link in the message.'),
    ('directory',
     'Vermelding in de alumnigids',
     'Listing in the alumni directory',
     'Ja, neem mij op in de alumnigids die alleen ingelogde alumni kunnen zien. Daarin staan je naam, je opleiding of afdeling met jaartal, je huidige werkgever, functie en woonplaats. Je e-mailadres en telefoonnummer worden niet getoond. Je kunt je vermelding op elk moment weghalen in je alumniportaal.',
     'Yes, list me in the alumni directory, which only alumni who are logged in can see. It shows your name, your programme or department with the year, your current employer, job title and city. Your e-mail address and phone number are not shown. You can remove your listing at any time in your alumni portal.'),
    ('contact_by_alumni',
     'Contact door andere alumni',
     'Contact by other alumni',
     'Ja, andere alumni mogen mij via Alumnet een bericht sturen, bijvoorbeeld voor advies, mentoring of een gastles. Alumnet stuurt het bericht aan je door; je e-mailadres blijft verborgen tot je zelf antwoordt. Je kunt dit op elk moment intrekken in je alumniportaal.',
     'Yes, other alumni may send me a message through Alumnet, for example for advice, mentoring or a guest lecture. Alumnet forwards the message to you; your e-mail address stays hidden until you reply yourself. You can withdraw this at any time in your alumni portal.'),
    ('story_publication',
     'Publicatie van mijn verhaal',
     'Publication of my story',
     'Ja, mijn alumniverhaal mag met mijn naam (en foto, als ik die aanlever) op de openbare website en in de nieuwsbrief worden gepubliceerd. Je krijgt de tekst vooraf te zien. Trek je deze toestemming in, dan halen we het verhaal van de website; een nieuwsbrief die al verstuurd is, kunnen we niet terughalen.',
     'Yes, my alumni story may be published with my name (and photo, if I provide one) on the public website and in the newsletter. You will see the text beforehand. If you withdraw this permission, we take the story off the website; a newsletter that has already been sent cannot be recalled.'),
    ('surveys',
     'Onderzoek en enquêtes',
     'Research and surveys',
     'Ja, vraag mij af en toe mee te doen aan een korte enquête, bijvoorbeeld over mijn loopbaan na mijn vertrek of over de kwaliteit van de opleiding. Meedoen is altijd vrijwillig en de resultaten worden alleen samengevat gebruikt. Je kunt dit op elk moment intrekken in je alumniportaal of via de link in de uitnodiging.',
     'Yes, ask me now and then to take part in a short survey, for example about my career since I left or about the quality of the programme. Taking part is always voluntary and the results are only used in summary. You can withdraw this at any time in your alumni portal or through the link in the invitation.')
) AS t (key, name_nl, name_en, text_nl, text_en) ON t.key = p.key;

-- +goose Down
DROP TABLE consent_ledger, consent_texts, consent_purposes;
DROP FUNCTION consent_ledger_append_only(), consent_texts_immutable();
