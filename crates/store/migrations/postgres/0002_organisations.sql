-- Organisations (机构): an installation may serve one hospital or a medical alliance (医联体);
-- departments belong to an organisation. Existing departments join the default organisation.
CREATE TABLE organisations (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- The default organisation has a fixed id so both backends and all installs agree on it.
INSERT INTO organisations (id, code, name, created_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'default', '本机构', '2026-11-22T00:00:00Z');

ALTER TABLE departments ADD COLUMN organisation_id UUID NOT NULL
    DEFAULT '00000000-0000-0000-0000-000000000001' REFERENCES organisations (id);
CREATE INDEX departments_organisation ON departments (organisation_id);
