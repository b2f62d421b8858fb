-- Importing exam and lab results (同步检查报告数据). See ../sqlite/0018_imports.sql for why
-- each piece exists; keep the two in step.
ALTER TABLE patients ALTER COLUMN phone DROP NOT NULL;

CREATE TABLE patient_identifiers (
    system TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    patient_id UUID NOT NULL REFERENCES patients (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (system, value)
);
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id);

-- Patients a sender sent whom CareLoop leaves out on purpose (deceased), so their data arriving
-- later in another file is skipped rather than reported as an unknown patient.
CREATE TABLE excluded_patient_keys (
    system TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    reason TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (system, value)
);

ALTER TABLE observations ADD COLUMN external_id TEXT COLLATE "C";
CREATE UNIQUE INDEX observations_external ON observations (external_id) WHERE external_id IS NOT NULL;
ALTER TABLE diagnoses ADD COLUMN external_id TEXT COLLATE "C";
CREATE UNIQUE INDEX diagnoses_external ON diagnoses (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE lab_reports (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    external_id TEXT COLLATE "C" NOT NULL UNIQUE,
    code TEXT,
    title TEXT NOT NULL,
    effective_at TIMESTAMPTZ,
    results INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX lab_reports_patient ON lab_reports (patient_id, effective_at);

-- Column-mapping profiles (导入模板) for CSV / Excel exports, saved by staff, named on import.
CREATE TABLE import_profiles (
    id TEXT PRIMARY KEY,
    document JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID
);

-- Tag rules (自动标签规则): a CEL condition per tag; built-ins are stored at start if missing,
-- so an edited one is never overwritten.
CREATE TABLE tag_rules (
    id TEXT PRIMARY KEY,
    document JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID
);

-- Advice articles (健康建议): every edit is a new version; the newest is shown.
CREATE TABLE advice_articles (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    document JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    PRIMARY KEY (id, version)
);

-- Patients whose risk tier and rule tags are to be recomputed after a bulk write (more
-- patients than one request refreshes at once), in groups of up to 200 (a JSON array of ids, so
-- queueing a write of thousands costs a few rows); the scheduler drains it. `enrol`: the data
-- came from a check-up import, so a new tier may enrol (检后随访).
CREATE TABLE refresh_queue (
    id UUID PRIMARY KEY,
    patients JSONB NOT NULL,
    enrol BOOLEAN NOT NULL,
    queued_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE import_batches (
    id UUID PRIMARY KEY,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    received INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    report JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID
);
