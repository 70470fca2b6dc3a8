-- +goose Up
-- Offboarding: a checklist per leaver, made from the template of their
-- departure type, with an exit interview and the invitation into the
-- alumni network as steps.

-- Departure types. "caution" marks departures (dismissal, conflict) after
-- which the app advises against pushing contact.
CREATE TABLE departure_types (
    key            text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{1,39}$'),
    name_nl        text NOT NULL CHECK (length(btrim(name_nl)) BETWEEN 1 AND 100),
    name_en        text NOT NULL CHECK (length(btrim(name_en)) BETWEEN 1 AND 100),
    audience       text NOT NULL CHECK (audience IN ('employer', 'school')),
    caution        boolean NOT NULL DEFAULT false,
    -- The affiliation's leaving reason when a case closes.
    leaving_reason text NOT NULL CHECK (leaving_reason IN ('resignation', 'end_of_contract', 'retirement', 'reorganisation',
                                                           'dismissal', 'conflict', 'graduated', 'early_leaver', 'other')),
    active         boolean NOT NULL DEFAULT true,
    sort_order     integer NOT NULL DEFAULT 0
);

-- The checklist template of a departure type: its items.
CREATE TABLE checklist_items (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    departure_type   text NOT NULL REFERENCES departure_types (key) ON UPDATE CASCADE,
    title_nl         text NOT NULL CHECK (length(btrim(title_nl)) BETWEEN 1 AND 200),
    title_en         text NOT NULL CHECK (length(btrim(title_en)) BETWEEN 1 AND 200),
    description_nl   text NOT NULL DEFAULT '' CHECK (length(description_nl) <= 2000),
    description_en   text NOT NULL DEFAULT '' CHECK (length(description_en) <= 2000),
    responsible_role text NOT NULL CHECK (responsible_role IN ('hr', 'manager', 'it', 'facilities', 'leaver', 'coordinator')),
    -- Days relative to the leaving date: -14 is two weeks before.
    due_offset_days  integer NOT NULL CHECK (due_offset_days BETWEEN -365 AND 365),
    required         boolean NOT NULL DEFAULT true,
    kind             text NOT NULL DEFAULT 'plain' CHECK (kind IN ('plain', 'exit_interview', 'alumni_invitation')),
    position         integer NOT NULL DEFAULT 0,
    archived_at      timestamptz
);
CREATE INDEX checklist_items_type_idx ON checklist_items (departure_type, position, id);

-- One offboarding per leaver and affiliation.
CREATE TABLE offboarding_cases (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id         bigint NOT NULL REFERENCES persons (id),
    departure_type    text NOT NULL REFERENCES departure_types (key) ON UPDATE CASCADE,
    unit_id           bigint NOT NULL REFERENCES units (id),
    -- The affiliation the case ends when it closes (created if the person
    -- had none in the unit).
    affiliation_id    bigint REFERENCES affiliations (id) ON DELETE SET NULL,
    leaving_date      date NOT NULL,
    manager_user_id   bigint REFERENCES users (id),
    -- closed: done, the affiliation ended; cancelled: the leaving did not
    -- happen (a resignation withdrawn), the affiliation left alone.
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    -- The alumni invitation step: the personal address it went to, when,
    -- and (for a cautioned departure) that staff confirmed sending it.
    invitation_email  text,
    invitation_sent_at timestamptz,
    invitation_caution_confirmed boolean NOT NULL DEFAULT false,
    created_by        bigint REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    closed_by         bigint REFERENCES users (id),
    closed_at         timestamptz,
    CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX offboarding_cases_person_idx ON offboarding_cases (person_id);
CREATE INDEX offboarding_cases_open_idx ON offboarding_cases (status, leaving_date, id);
CREATE UNIQUE INDEX offboarding_cases_one_open_idx ON offboarding_cases (person_id, unit_id) WHERE status = 'open';

-- The case's checklist: copied from the template when the case starts,
-- so later template changes leave running cases alone.
CREATE TABLE offboarding_items (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id          bigint NOT NULL REFERENCES offboarding_cases (id) ON DELETE CASCADE,
    template_item_id bigint REFERENCES checklist_items (id) ON DELETE SET NULL,
    title_nl         text NOT NULL,
    title_en         text NOT NULL,
    description_nl   text NOT NULL DEFAULT '',
    description_en   text NOT NULL DEFAULT '',
    responsible_role text NOT NULL,
    kind             text NOT NULL,
    required         boolean NOT NULL,
    due_date         date NOT NULL,
    position         integer NOT NULL DEFAULT 0,
    assignee_id      bigint REFERENCES users (id),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'skipped')),
    done_by          bigint REFERENCES users (id),
    done_at          timestamptz,
    note             text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    -- The day the assignee was last reminded (at most one mail a day).
    reminded_on      date,
    CHECK ((status = 'open') = (done_at IS NULL)),
    CHECK (status <> 'skipped' OR NOT required)
);
CREATE INDEX offboarding_items_case_idx ON offboarding_items (case_id, position, id);
CREATE INDEX offboarding_items_assignee_idx ON offboarding_items (assignee_id, due_date) WHERE status = 'open';

-- The exit interview. Rehire eligibility is for HR only (not for
-- coordinators), yet part of the person's own data export.
CREATE TABLE exit_interviews (
    case_id            bigint PRIMARY KEY REFERENCES offboarding_cases (id) ON DELETE CASCADE,
    highlights         text NOT NULL DEFAULT '' CHECK (length(highlights) <= 5000),
    improvements       text NOT NULL DEFAULT '' CHECK (length(improvements) <= 5000),
    takeaways          text NOT NULL DEFAULT '' CHECK (length(takeaways) <= 5000),
    would_recommend    text CHECK (would_recommend IN ('yes', 'maybe', 'no')),
    open_to_contact    boolean,
    rehire_eligibility text CHECK (rehire_eligibility IN ('eligible', 'not_eligible', 'review')),
    rehire_reason      text NOT NULL DEFAULT '' CHECK (length(rehire_reason) <= 2000),
    updated_by         bigint REFERENCES users (id),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

INSERT INTO departure_types (key, name_nl, name_en, audience, caution, leaving_reason, sort_order) VALUES
    ('resignation',     'Eigen ontslag',             'Resignation',         'employer', false, 'resignation', 10),
    ('end_of_contract', 'Einde contract',            'End of contract',     'employer', false, 'end_of_contract', 20),
    ('retirement',      'Pensioen',                  'Retirement',          'employer', false, 'retirement', 30),
    ('reorganisation',  'Reorganisatie',             'Reorganisation',      'employer', false, 'reorganisation', 40),
    ('dismissal',       'Ontslag door werkgever',    'Dismissal',           'employer', true,  'dismissal', 50),
    ('conflict',        'Vertrek na conflict',       'Departure after a conflict', 'employer', true, 'conflict', 60),
    ('graduation',      'Diploma behaald',           'Graduation',          'school',   false, 'graduated', 70),
    ('early_leaver',    'Voortijdig schoolverlater', 'Early school leaver', 'school',   false, 'early_leaver', 80);

-- Default checklists: employers.
INSERT INTO checklist_items (departure_type, title_nl, title_en, description_nl, description_en, responsible_role, due_offset_days, required, kind, position)
SELECT t.key, i.title_nl, i.title_en, i.description_nl, i.description_en, i.role, i.offset_days, i.required, i.kind, i.position
FROM departure_types t
CROSS JOIN (VALUES
    ('Exitgesprek voeren', 'Hold the exit interview',
     'Vraag niet alleen naar verbeterpunten, ook naar hoogtepunten en wat de collega meeneemt. Toon waardering voor de bijdrage.',
     'Ask not only about points to improve but also about highlights and what they take along. Show appreciation for their contribution.',
     'hr', -10, true, 'exit_interview', 10),
    ('Laptop, telefoon en pas innemen', 'Collect laptop, phone and badge',
     'Spreek een moment af; geef een bewijs van inname.', 'Agree on a moment; give a receipt.',
     'facilities', 0, true, 'plain', 20),
    ('Toegang tot systemen intrekken', 'Revoke access to systems',
     'E-mail, netwerk, applicaties en gedeelde mappen, op de laatste werkdag aan het eind van de dag.',
     'E-mail, network, applications and shared folders, at the end of the last working day.',
     'it', 0, true, 'plain', 30),
    ('Eindafrekening regelen', 'Settle the final pay',
     'Vakantiedagen, vakantiegeld en eventuele declaraties; niemand wil weken achter zijn laatste salaris aan.',
     'Holiday days, holiday pay and expense claims; nobody wants to chase their final pay for weeks.',
     'hr', 14, true, 'plain', 40),
    ('Getuigschrift of referentie', 'Certificate of employment or reference',
     'Een werkgeversverklaring en, als de collega dat wil, een referentiebrief.',
     'An employment certificate and, if they wish, a reference letter.',
     'hr', 0, true, 'plain', 50),
    ('Afscheid organiseren', 'Organise a farewell',
     'Een moment met het team om de bijdrage te waarderen.', 'A moment with the team to appreciate their contribution.',
     'manager', -1, false, 'plain', 60),
    ('Uitnodigen voor het alumninetwerk', 'Invite to the alumni network',
     'Vraag een privé-e-mailadres (het werkadres stopt) en stuur de uitnodiging; respecteer het als iemand geen contact wil.',
     'Ask for a personal e-mail address (the work address stops) and send the invitation; respect it if someone does not want contact.',
     'hr', -3, false, 'alumni_invitation', 70)
) AS i (title_nl, title_en, description_nl, description_en, role, offset_days, required, kind, position)
WHERE t.audience = 'employer';

-- Default checklists: schools.
INSERT INTO checklist_items (departure_type, title_nl, title_en, description_nl, description_en, responsible_role, due_offset_days, required, kind, position)
SELECT t.key, i.title_nl, i.title_en, i.description_nl, i.description_en, i.role, i.offset_days, i.required, i.kind, i.position
FROM departure_types t
CROSS JOIN (VALUES
    ('Diploma of resultatenoverzicht uitreiken', 'Hand over the diploma or a statement of results',
     'Bij voortijdig vertrek: een overzicht van behaalde onderdelen.', 'For an early leaver: an overview of the parts completed.',
     'coordinator', 0, true, 'plain', 10),
    ('Alumniregistratie uitleggen', 'Explain the alumni registration',
     'Vertel wat het alumninetwerk biedt: gastlessen, stages, cursussen, reünies.', 'Tell what the alumni network offers: guest lectures, internships, courses, reunions.',
     'coordinator', -7, false, 'plain', 20),
    ('Contactgegevens voor later vastleggen', 'Record contact details for later',
     'Een privé-e-mailadres: het schooladres stopt na het vertrek.', 'A personal e-mail address: the school address stops after leaving.',
     'coordinator', -7, false, 'alumni_invitation', 30),
    ('Exitgesprek', 'Exit interview',
     'Wat ging goed, wat kan beter, wat neemt de student mee?', 'What went well, what could be better, what does the student take along?',
     'coordinator', -14, false, 'exit_interview', 40)
) AS i (title_nl, title_en, description_nl, description_en, role, offset_days, required, kind, position)
WHERE t.audience = 'school';

-- +goose Down
DROP TABLE exit_interviews, offboarding_items, offboarding_cases, checklist_items, departure_types;
