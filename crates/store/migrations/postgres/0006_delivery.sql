-- Retries, lost-to-follow-up, record amendments, the outbox of automated messages (with the
-- sandbox channel's deliveries), patient links and quiet hours. Keep in step with
-- ../sqlite/0006_delivery.sql.

-- Why a plan is paused or stopped (e.g. lost_to_follow_up, deceased, withdrawn) and when.
ALTER TABLE plans ADD COLUMN status_reason TEXT;
ALTER TABLE plans ADD COLUMN status_changed_at TIMESTAMPTZ;

-- When an unanswered task is tried again (the protocol's retry spacing).
ALTER TABLE tasks ADD COLUMN retry_at TIMESTAMPTZ;
CREATE INDEX tasks_retry ON tasks (retry_at) WHERE retry_at IS NOT NULL;

-- Corrections to a signed follow-up record; the record itself never changes.
CREATE TABLE followup_amendments (
    id UUID PRIMARY KEY,
    record_id UUID NOT NULL REFERENCES followup_records (id),
    reason TEXT NOT NULL,
    note TEXT,
    answers JSONB,
    signed_by UUID,
    signed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX followup_amendments_record ON followup_amendments (record_id, id);
CREATE FUNCTION followup_amendments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'amendments are immutable; add another amendment';
END;
$$;
CREATE TRIGGER followup_amendments_no_change BEFORE UPDATE OR DELETE ON followup_amendments
    FOR EACH ROW EXECUTE FUNCTION followup_amendments_immutable();

-- Every automated message, written in the same transaction that starts its task; the
-- idempotency key (task and attempt) goes to the channel so a redelivery is not a second send.
CREATE TABLE outbox (
    id UUID PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    task_id UUID REFERENCES tasks (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'wechat', 'voice')),
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until TIMESTAMPTZ,
    provider_ref TEXT,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX outbox_patient ON outbox (patient_id, id);
CREATE INDEX outbox_queued ON outbox (status, lease_until);

-- What the sandbox channel "delivered": one row per idempotency key, however often it is asked.
CREATE TABLE sandbox_deliveries (
    idempotency_key TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    delivered_at TIMESTAMPTZ NOT NULL
);

-- Links sent to patients (H5 pages); only a hash of the token is kept.
CREATE TABLE patient_links (
    token_hash TEXT PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    task_id UUID REFERENCES tasks (id),
    purpose TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX patient_links_patient ON patient_links (patient_id);

-- Quiet hours (免打扰) as local 'HH:MM' times; NULL means the default 21:00–08:00.
ALTER TABLE organisations ADD COLUMN quiet_start TEXT;
ALTER TABLE organisations ADD COLUMN quiet_end TEXT;
ALTER TABLE patients ADD COLUMN quiet_start TEXT;
ALTER TABLE patients ADD COLUMN quiet_end TEXT;
