-- See ../sqlite/0028_consents_replies.sql.
CREATE TABLE channel_consents (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    proxy_id UUID REFERENCES patient_proxies (id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'wechat', 'voice')),
    granted BOOLEAN NOT NULL,
    how TEXT NOT NULL,
    recorded_by UUID REFERENCES users (id),
    notice_version TEXT,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX channel_consents_patient ON channel_consents (patient_id, channel, at);

CREATE TABLE inbound_messages (
    id UUID PRIMARY KEY,
    channel TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_key TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    patient_id UUID REFERENCES patients (id),
    outbox_id UUID REFERENCES outbox (id),
    content TEXT NOT NULL,
    opt_out BOOLEAN NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX inbound_messages_patient ON inbound_messages (patient_id, received_at);
