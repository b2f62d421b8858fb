-- CareLoop foundation schema (PostgreSQL). Keep in step with ../sqlite/0001_foundation.sql.
-- Text searched by prefix uses COLLATE "C" so that range scans on the index match byte order.

CREATE TABLE departments (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'doctor', 'nurse', 'health_manager')),
    department_id UUID REFERENCES departments (id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('api', 'web')),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('card_number', 0);

CREATE TABLE patients (
    id UUID PRIMARY KEY,
    card_number TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT COLLATE "C" NOT NULL,
    name_initials TEXT COLLATE "C" NOT NULL,
    name_pinyin TEXT COLLATE "C" NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date DATE NOT NULL,
    id_number TEXT COLLATE "C" UNIQUE,
    phone TEXT COLLATE "C" NOT NULL,
    address TEXT,
    emergency_contact_name TEXT,
    emergency_contact_phone TEXT,
    department_id UUID NOT NULL REFERENCES departments (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX patients_department ON patients (department_id, id);
CREATE INDEX patients_name ON patients (name);
CREATE INDEX patients_initials ON patients (name_initials);
CREATE INDEX patients_pinyin ON patients (name_pinyin);
CREATE INDEX patients_phone ON patients (phone);

CREATE TABLE health_records (
    patient_id UUID PRIMARY KEY REFERENCES patients (id),
    past_history TEXT,
    family_history TEXT,
    allergies TEXT,
    medications TEXT,
    smoking TEXT,
    alcohol TEXT,
    exercise TEXT,
    diet TEXT,
    sleep TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID
);

CREATE TABLE diagnoses (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    icd10_code TEXT NOT NULL,
    name TEXT NOT NULL,
    diagnosed_on DATE,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID
);
CREATE INDEX diagnoses_patient ON diagnoses (patient_id);

CREATE TABLE observations (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    code TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    effective_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL,
    flag TEXT NOT NULL CHECK (flag IN ('low', 'normal', 'high')),
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID
);
CREATE INDEX observations_patient_code ON observations (patient_id, code, effective_at);

-- The audit trail is append-only: the database itself refuses to change or remove an event.
CREATE TABLE audit_events (
    id UUID PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID,
    actor_username TEXT NOT NULL,
    action TEXT NOT NULL,
    patient_id UUID,
    detail TEXT,
    ip TEXT
);
CREATE INDEX audit_events_patient ON audit_events (patient_id, id);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
