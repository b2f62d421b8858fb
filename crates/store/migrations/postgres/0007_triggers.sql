-- Events that enrol patients in protocols automatically: discharges (出院) and patient tags
-- (标签). Keep in step with ../sqlite/0007_triggers.sql.

CREATE TABLE discharges (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    discharged_on DATE NOT NULL,
    ward TEXT,
    diagnosis_code TEXT,
    summary TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID
);
CREATE INDEX discharges_patient ON discharges (patient_id, discharged_on);

-- A tag is set by staff (manual) or by a tag rule (rule); one row per patient and tag.
CREATE TABLE patient_tags (
    patient_id UUID NOT NULL REFERENCES patients (id),
    tag TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('manual', 'rule')),
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    PRIMARY KEY (patient_id, tag)
);
CREATE INDEX patient_tags_tag ON patient_tags (tag);

-- Which trigger started a plan (null: enrolled by hand).
ALTER TABLE plans ADD COLUMN trigger_event TEXT;

-- How far ahead the plan's tasks exist; the scheduler extends recurring steps before it is
-- reached, so a chronic-disease plan never runs out of visits.
ALTER TABLE plans ADD COLUMN scheduled_until TIMESTAMPTZ;
CREATE INDEX plans_horizon ON plans (status, scheduled_until);
