-- Family proxies (家属代理) with the patient's recorded, revocable consent; a link may be sent
-- to a proxy, and a response records which proxy answered. Keep in step with
-- ../sqlite/0014_proxies.sql.
CREATE TABLE patient_proxies (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    name TEXT NOT NULL,
    relation TEXT NOT NULL CHECK (relation IN ('spouse', 'child', 'parent', 'sibling', 'other')),
    phone TEXT NOT NULL,
    consent TEXT NOT NULL,
    consent_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    revoked_by UUID REFERENCES users (id),
    revoke_reason TEXT
);
CREATE INDEX patient_proxies_patient ON patient_proxies (patient_id);

ALTER TABLE patient_links ADD COLUMN proxy_id UUID REFERENCES patient_proxies (id);
ALTER TABLE questionnaire_responses ADD COLUMN proxy_id UUID REFERENCES patient_proxies (id);
