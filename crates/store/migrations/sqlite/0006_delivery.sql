-- Retries, lost-to-follow-up, record amendments, the outbox of automated messages (with the
-- sandbox channel's deliveries), patient links and quiet hours. Keep in step with
-- ../postgres/0006_delivery.sql.

-- Why a plan is paused or stopped (e.g. lost_to_follow_up, deceased, withdrawn) and when.
ALTER TABLE plans ADD COLUMN status_reason TEXT;
ALTER TABLE plans ADD COLUMN status_changed_at TEXT;

-- When an unanswered task is tried again (the protocol's retry spacing).
ALTER TABLE tasks ADD COLUMN retry_at TEXT;
CREATE INDEX tasks_retry ON tasks (retry_at) WHERE retry_at IS NOT NULL;

-- Corrections to a signed follow-up record; the record itself never changes.
CREATE TABLE followup_amendments (
    id BLOB PRIMARY KEY NOT NULL,
    record_id BLOB NOT NULL REFERENCES followup_records (id),
    reason TEXT NOT NULL,
    note TEXT,
    answers TEXT,
    signed_by BLOB,
    signed_at TEXT NOT NULL
);
CREATE INDEX followup_amendments_record ON followup_amendments (record_id, id);
CREATE TRIGGER followup_amendments_no_update BEFORE UPDATE ON followup_amendments
BEGIN
    SELECT RAISE(ABORT, 'amendments are immutable; add another amendment');
END;
CREATE TRIGGER followup_amendments_no_delete BEFORE DELETE ON followup_amendments
BEGIN
    SELECT RAISE(ABORT, 'amendments are immutable; add another amendment');
END;

-- Every automated message, written in the same transaction that starts its task; the
-- idempotency key (task and attempt) goes to the channel so a redelivery is not a second send.
CREATE TABLE outbox (
    id BLOB PRIMARY KEY NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    task_id BLOB REFERENCES tasks (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'wechat', 'voice')),
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until TEXT,
    provider_ref TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_patient ON outbox (patient_id, id);
CREATE INDEX outbox_queued ON outbox (status, lease_until);

-- What the sandbox channel "delivered": one row per idempotency key, however often it is asked.
CREATE TABLE sandbox_deliveries (
    idempotency_key TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    delivered_at TEXT NOT NULL
);

-- Links sent to patients (H5 pages); only a hash of the token is kept.
CREATE TABLE patient_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    task_id BLOB REFERENCES tasks (id),
    purpose TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX patient_links_patient ON patient_links (patient_id);

-- Quiet hours (免打扰) as local 'HH:MM' times; NULL means the default 21:00–08:00.
ALTER TABLE organisations ADD COLUMN quiet_start TEXT;
ALTER TABLE organisations ADD COLUMN quiet_end TEXT;
ALTER TABLE patients ADD COLUMN quiet_start TEXT;
ALTER TABLE patients ADD COLUMN quiet_end TEXT;
