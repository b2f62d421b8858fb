-- no-transaction
-- Importing exam and lab results (同步检查报告数据) from FHIR, HL7 v2 and spreadsheets.
-- * A patient's mobile number becomes optional: hospital systems send patients without a
--   mainland mobile (elderly patients reached through a family proxy, foreign numbers); such a
--   patient is kept, and automated messages to them fail to the nurse's worklist instead.
--   SQLite cannot drop NOT NULL, so patients is rebuilt
--   (https://www.sqlite.org/lang_altertable.html#otheralter); with foreign keys off the tables
--   that reference it keep their rows, and the new table takes the old name.
-- * patient_identifiers: a sending system's own key for a patient (FHIR Patient id, HL7 PID-3,
--   a check-up number), so a re-import finds the patient it created before.
-- * external_id on observations and diagnoses: the sender's key of each fact, unique, which
--   makes re-importing the same data change nothing.
-- * lab_reports: DiagnosticReports / ORC-OBR orders (检查报告) with their result count.
-- * import_batches: one row per import with its counts and its report (locations and codes
--   only, never a patient's identifiers or values).
-- Keep in step with ../postgres/0018_imports.sql.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE patients_new (
    id BLOB PRIMARY KEY NOT NULL,
    card_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_initials TEXT NOT NULL,
    name_pinyin TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date TEXT NOT NULL,
    id_number TEXT UNIQUE,
    phone TEXT,
    address TEXT,
    emergency_contact_name TEXT,
    emergency_contact_phone TEXT,
    department_id BLOB NOT NULL REFERENCES departments (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    quiet_start TEXT,
    quiet_end TEXT,
    risk_tier TEXT CHECK (risk_tier IN ('high', 'medium', 'low'))
);
INSERT INTO patients_new
    SELECT id, card_number, name, name_initials, name_pinyin, sex, birth_date, id_number, phone,
           address, emergency_contact_name, emergency_contact_phone, department_id, created_at,
           updated_at, quiet_start, quiet_end, risk_tier
    FROM patients;
DROP TABLE patients;
ALTER TABLE patients_new RENAME TO patients;
CREATE INDEX patients_department ON patients (department_id, id);
CREATE INDEX patients_name ON patients (name);
CREATE INDEX patients_initials ON patients (name_initials);
CREATE INDEX patients_pinyin ON patients (name_pinyin);
CREATE INDEX patients_phone ON patients (phone);

CREATE TABLE patient_identifiers (
    system TEXT NOT NULL,
    value TEXT NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (system, value)
);
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id);

-- Patients a sender sent whom CareLoop leaves out on purpose (deceased), so their data arriving
-- later in another file is skipped rather than reported as an unknown patient.
CREATE TABLE excluded_patient_keys (
    system TEXT NOT NULL,
    value TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (system, value)
);

ALTER TABLE observations ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX observations_external ON observations (external_id) WHERE external_id IS NOT NULL;
ALTER TABLE diagnoses ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX diagnoses_external ON diagnoses (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE lab_reports (
    id BLOB PRIMARY KEY NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    external_id TEXT NOT NULL UNIQUE,
    code TEXT,
    title TEXT NOT NULL,
    effective_at TEXT,
    results INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX lab_reports_patient ON lab_reports (patient_id, effective_at);

-- Column-mapping profiles (导入模板) for CSV / Excel exports, saved by staff, named on import.
CREATE TABLE import_profiles (
    id TEXT PRIMARY KEY NOT NULL,
    document TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB
);

-- Tag rules (自动标签规则): a CEL condition per tag; built-ins are stored at start if missing,
-- so an edited one is never overwritten.
CREATE TABLE tag_rules (
    id TEXT PRIMARY KEY NOT NULL,
    document TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB
);

-- Advice articles (健康建议): every edit is a new version; the newest is shown.
CREATE TABLE advice_articles (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    PRIMARY KEY (id, version)
);

-- Patients whose risk tier and rule tags are to be recomputed after a bulk write (more
-- patients than one request refreshes at once), in groups of up to 200 (a JSON array of ids, so
-- queueing a write of thousands costs a few rows); the scheduler drains it. `enrol`: the data
-- came from a check-up import, so a new tier may enrol (检后随访).
CREATE TABLE refresh_queue (
    id BLOB PRIMARY KEY NOT NULL,
    patients TEXT NOT NULL,
    enrol INTEGER NOT NULL,
    queued_at TEXT NOT NULL
);

CREATE TABLE import_batches (
    id BLOB PRIMARY KEY NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    received INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    report TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB
);
COMMIT;
PRAGMA foreign_keys = ON;
