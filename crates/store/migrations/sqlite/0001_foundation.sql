-- CareLoop foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql.
-- UUIDs are 16-byte BLOBs, timestamps RFC 3339 UTC text, booleans 0/1.

CREATE TABLE departments (
    id BLOB PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'doctor', 'nurse', 'health_manager')),
    department_id BLOB REFERENCES departments (id),
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('api', 'web')),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE counters (
    name TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('card_number', 0);

CREATE TABLE patients (
    id BLOB PRIMARY KEY NOT NULL,
    card_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_initials TEXT NOT NULL,
    name_pinyin TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date TEXT NOT NULL,
    id_number TEXT UNIQUE,
    phone TEXT NOT NULL,
    address TEXT,
    emergency_contact_name TEXT,
    emergency_contact_phone TEXT,
    department_id BLOB NOT NULL REFERENCES departments (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX patients_department ON patients (department_id, id);
CREATE INDEX patients_name ON patients (name);
CREATE INDEX patients_initials ON patients (name_initials);
CREATE INDEX patients_pinyin ON patients (name_pinyin);
CREATE INDEX patients_phone ON patients (phone);

CREATE TABLE health_records (
    patient_id BLOB PRIMARY KEY NOT NULL REFERENCES patients (id),
    past_history TEXT,
    family_history TEXT,
    allergies TEXT,
    medications TEXT,
    smoking TEXT,
    alcohol TEXT,
    exercise TEXT,
    diet TEXT,
    sleep TEXT,
    updated_at TEXT NOT NULL,
    updated_by BLOB
);

CREATE TABLE diagnoses (
    id BLOB PRIMARY KEY NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    icd10_code TEXT NOT NULL,
    name TEXT NOT NULL,
    diagnosed_on TEXT,
    note TEXT,
    created_at TEXT NOT NULL,
    created_by BLOB
);
CREATE INDEX diagnoses_patient ON diagnoses (patient_id);

CREATE TABLE observations (
    id BLOB PRIMARY KEY NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    code TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    source TEXT NOT NULL,
    flag TEXT NOT NULL CHECK (flag IN ('low', 'normal', 'high')),
    created_at TEXT NOT NULL,
    created_by BLOB
);
CREATE INDEX observations_patient_code ON observations (patient_id, code, effective_at);

-- The audit trail is append-only: the database itself refuses to change or remove an event.
CREATE TABLE audit_events (
    id BLOB PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor_id BLOB,
    actor_username TEXT NOT NULL,
    action TEXT NOT NULL,
    patient_id BLOB,
    detail TEXT,
    ip TEXT
);
CREATE INDEX audit_events_patient ON audit_events (patient_id, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
