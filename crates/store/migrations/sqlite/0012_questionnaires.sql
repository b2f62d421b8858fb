-- Questionnaires (问卷) as FHIR R4 resources and the responses to them. The resource text is
-- kept byte for byte as imported or submitted (export gives it back unchanged); the columns
-- beside it are what CareLoop reads from it. An alert may come from a response (PHQ-9 item 9).
-- Keep in step with ../postgres/0012_questionnaires.sql.
CREATE TABLE questionnaires (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    resource TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB REFERENCES users (id),
    PRIMARY KEY (id, version)
);

CREATE TABLE questionnaire_responses (
    id BLOB PRIMARY KEY NOT NULL,
    questionnaire_id TEXT NOT NULL,
    questionnaire_version INTEGER NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    status TEXT NOT NULL CHECK (status IN ('in-progress', 'completed')),
    resource TEXT NOT NULL,
    score REAL,
    band TEXT,
    -- Who answered: 'staff' (entered by a user, author_id) or 'patient'; proxies come later.
    answered_by TEXT NOT NULL CHECK (answered_by IN ('staff', 'patient', 'proxy')),
    author_id BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (questionnaire_id, questionnaire_version) REFERENCES questionnaires (id, version)
);
CREATE INDEX questionnaire_responses_patient ON questionnaire_responses (patient_id, created_at);

ALTER TABLE alerts ADD COLUMN response_id BLOB REFERENCES questionnaire_responses (id);
