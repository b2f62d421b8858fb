-- Organisations (机构): an installation may serve one hospital or a medical alliance (医联体);
-- departments belong to an organisation. Existing departments join the default organisation.
CREATE TABLE organisations (
    id BLOB PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- The default organisation has a fixed id so both backends and all installs agree on it.
INSERT INTO organisations (id, code, name, created_at)
VALUES (X'00000000000000000000000000000001', 'default', '本机构', '2026-11-22T00:00:00Z');

-- SQLite cannot add a column with both a REFERENCES clause and a non-NULL default while foreign
-- keys are enforced, so the reference is enforced by triggers instead of rebuilding the table.
ALTER TABLE departments ADD COLUMN organisation_id BLOB NOT NULL
    DEFAULT X'00000000000000000000000000000001';
CREATE INDEX departments_organisation ON departments (organisation_id);
CREATE TRIGGER departments_organisation_insert BEFORE INSERT ON departments
WHEN NOT EXISTS (SELECT 1 FROM organisations WHERE id = NEW.organisation_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed');
END;
CREATE TRIGGER departments_organisation_update BEFORE UPDATE OF organisation_id ON departments
WHEN NOT EXISTS (SELECT 1 FROM organisations WHERE id = NEW.organisation_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed');
END;
CREATE TRIGGER organisations_in_use BEFORE DELETE ON organisations
WHEN EXISTS (SELECT 1 FROM departments WHERE organisation_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed');
END;
