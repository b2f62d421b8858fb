-- Family proxies (家属代理) with the patient's recorded, revocable consent; a link may be sent
-- to a proxy, and a response records which proxy answered. Keep in step with
-- ../postgres/0014_proxies.sql.
CREATE TABLE patient_proxies (
    id BLOB PRIMARY KEY NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    name TEXT NOT NULL,
    relation TEXT NOT NULL CHECK (relation IN ('spouse', 'child', 'parent', 'sibling', 'other')),
    phone TEXT NOT NULL,
    consent TEXT NOT NULL,
    consent_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by BLOB REFERENCES users (id),
    revoke_reason TEXT
);
CREATE INDEX patient_proxies_patient ON patient_proxies (patient_id);

ALTER TABLE patient_links ADD COLUMN proxy_id BLOB REFERENCES patient_proxies (id);
ALTER TABLE questionnaire_responses ADD COLUMN proxy_id BLOB REFERENCES patient_proxies (id);
