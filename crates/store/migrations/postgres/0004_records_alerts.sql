-- Follow-up records (随访记录, signed and immutable) and alerts (预警). Keep in step with
-- ../sqlite/0004_records_alerts.sql.
CREATE TABLE followup_records (
    id UUID PRIMARY KEY,
    task_id UUID NOT NULL REFERENCES tasks (id),
    plan_id UUID NOT NULL REFERENCES plans (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    contact_result TEXT NOT NULL CHECK (contact_result IN ('reached', 'no_answer', 'busy', 'wrong_number', 'refused', 'deceased')),
    classification TEXT CHECK (classification IN ('controlled', 'uncontrolled', 'adverse_reaction', 'complication', 'emergency')),
    adverse_drug_reaction BOOLEAN NOT NULL,
    new_complication BOOLEAN NOT NULL,
    referral BOOLEAN NOT NULL,
    answers JSONB,
    note TEXT,
    signed_by UUID,
    signed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX followup_records_plan ON followup_records (plan_id, id);
CREATE INDEX followup_records_task ON followup_records (task_id);
CREATE FUNCTION followup_records_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signed follow-up records are immutable; add an amendment';
END;
$$;
CREATE TRIGGER followup_records_no_change BEFORE UPDATE OR DELETE ON followup_records
    FOR EACH ROW EXECUTE FUNCTION followup_records_immutable();

CREATE TABLE alerts (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    record_id UUID REFERENCES followup_records (id),
    severity TEXT NOT NULL CHECK (severity IN ('mild', 'severe')),
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'closed')),
    owner_role TEXT NOT NULL,
    reason TEXT NOT NULL,
    sla_due_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX alerts_status ON alerts (status, sla_due_at);
CREATE INDEX alerts_patient ON alerts (patient_id);
