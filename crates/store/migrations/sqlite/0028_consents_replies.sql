-- Consent per channel (careloop_domain::consent): every change a row, the latest per patient
-- (or proxy) and channel stands. And the messages patients send back (上行: SMS replies), each
-- once per provider key, matched to its patient and to the message it answers when possible.
-- Keep in step with ../postgres/0028_consents_replies.sql.
CREATE TABLE channel_consents (
    id BLOB PRIMARY KEY,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    proxy_id BLOB REFERENCES patient_proxies (id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'wechat', 'voice')),
    granted INTEGER NOT NULL,
    how TEXT NOT NULL,
    recorded_by BLOB REFERENCES users (id),
    notice_version TEXT,
    at TEXT NOT NULL
);
CREATE INDEX channel_consents_patient ON channel_consents (patient_id, channel, at);

CREATE TABLE inbound_messages (
    id BLOB PRIMARY KEY,
    channel TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_key TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    patient_id BLOB REFERENCES patients (id),
    outbox_id BLOB REFERENCES outbox (id),
    content TEXT NOT NULL,
    opt_out INTEGER NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX inbound_messages_patient ON inbound_messages (patient_id, received_at);
