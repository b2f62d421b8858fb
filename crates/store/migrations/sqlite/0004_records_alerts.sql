-- Follow-up records (随访记录, signed and immutable) and alerts (预警). Keep in step with
-- ../postgres/0004_records_alerts.sql.
CREATE TABLE followup_records (
    id BLOB PRIMARY KEY NOT NULL,
    task_id BLOB NOT NULL REFERENCES tasks (id),
    plan_id BLOB NOT NULL REFERENCES plans (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    contact_result TEXT NOT NULL CHECK (contact_result IN ('reached', 'no_answer', 'busy', 'wrong_number', 'refused', 'deceased')),
    classification TEXT CHECK (classification IN ('controlled', 'uncontrolled', 'adverse_reaction', 'complication', 'emergency')),
    adverse_drug_reaction INTEGER NOT NULL,
    new_complication INTEGER NOT NULL,
    referral INTEGER NOT NULL,
    answers TEXT,
    note TEXT,
    signed_by BLOB,
    signed_at TEXT NOT NULL
);
CREATE INDEX followup_records_plan ON followup_records (plan_id, id);
CREATE INDEX followup_records_task ON followup_records (task_id);
CREATE TRIGGER followup_records_no_update BEFORE UPDATE ON followup_records
BEGIN
    SELECT RAISE(ABORT, 'signed follow-up records are immutable; add an amendment');
END;
CREATE TRIGGER followup_records_no_delete BEFORE DELETE ON followup_records
BEGIN
    SELECT RAISE(ABORT, 'signed follow-up records are immutable; add an amendment');
END;

CREATE TABLE alerts (
    id BLOB PRIMARY KEY NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    record_id BLOB REFERENCES followup_records (id),
    severity TEXT NOT NULL CHECK (severity IN ('mild', 'severe')),
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
    owner_role TEXT NOT NULL,
    reason TEXT NOT NULL,
    sla_due_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX alerts_status ON alerts (status, sla_due_at);
CREATE INDEX alerts_patient ON alerts (patient_id);
