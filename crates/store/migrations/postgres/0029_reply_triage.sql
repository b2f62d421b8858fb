-- See ../sqlite/0029_reply_triage.sql.
ALTER TABLE inbound_messages ADD COLUMN attention TEXT NOT NULL DEFAULT 'none'
    CHECK (attention IN ('urgent', 'read', 'findings', 'none'));
ALTER TABLE inbound_messages ADD COLUMN analysis TEXT;
ALTER TABLE inbound_messages ADD COLUMN alert_id UUID REFERENCES alerts (id);
ALTER TABLE inbound_messages ADD COLUMN handled_at TIMESTAMPTZ;
ALTER TABLE inbound_messages ADD COLUMN handled_by UUID REFERENCES users (id);
CREATE INDEX inbound_messages_open ON inbound_messages (handled_at, received_at);
