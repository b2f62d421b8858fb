-- What a reply needs from a nurse (careloop_domain::reply): its analysis (careloop-text, as
-- JSON), how much attention it needs (urgent, a human read, findings, none), the alert it
-- raised, and when and by whom it was handled in the reply inbox (回复收件箱).
-- Keep in step with ../postgres/0029_reply_triage.sql.
ALTER TABLE inbound_messages ADD COLUMN attention TEXT NOT NULL DEFAULT 'none'
    CHECK (attention IN ('urgent', 'read', 'findings', 'none'));
ALTER TABLE inbound_messages ADD COLUMN analysis TEXT;
ALTER TABLE inbound_messages ADD COLUMN alert_id BLOB REFERENCES alerts (id);
ALTER TABLE inbound_messages ADD COLUMN handled_at TEXT;
ALTER TABLE inbound_messages ADD COLUMN handled_by BLOB REFERENCES users (id);
CREATE INDEX inbound_messages_open ON inbound_messages (handled_at, received_at);
