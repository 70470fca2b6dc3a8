-- +goose Up
-- Rehire eligibility (and why) is HR's to see and record: an explicit
-- permission an administrator gives a staff user or an administrator,
-- never a coordinator. Who saw it before keeps seeing it.
ALTER TABLE users ADD COLUMN hr boolean NOT NULL DEFAULT false;
UPDATE users SET hr = true WHERE role IN ('staff', 'admin');
ALTER TABLE users ADD CONSTRAINT users_hr_not_coordinator CHECK (NOT (hr AND role = 'coordinator'));

-- +goose Down
ALTER TABLE users DROP COLUMN hr;
