-- Alert handling: acknowledgement, closure with an outcome, and escalation when the SLA passes.
ALTER TABLE alerts ADD COLUMN escalations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN acknowledged_by UUID;
ALTER TABLE alerts ADD COLUMN acknowledged_at TIMESTAMPTZ;
ALTER TABLE alerts ADD COLUMN closed_at TIMESTAMPTZ;
ALTER TABLE alerts ADD COLUMN outcome TEXT;
